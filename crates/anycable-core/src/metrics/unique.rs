//! `clients_uniq_num`: how many distinct connection identifiers the open sessions have. Touched
//! once when a session opens and once when it ends, never per message, so a lock is fine.

use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub(crate) struct UniqueIdentifiers(Mutex<HashMap<Box<str>, usize>>);

impl UniqueIdentifiers {
    pub(crate) fn add(&self, identifiers: &str) {
        let mut open = self.0.lock().expect("identifiers lock");
        match open.get_mut(identifiers) {
            Some(sessions) => *sessions += 1,
            None => {
                open.insert(identifiers.into(), 1);
            }
        }
    }

    pub(crate) fn remove(&self, identifiers: &str) {
        let mut open = self.0.lock().expect("identifiers lock");
        if let Some(sessions) = open.get_mut(identifiers) {
            *sessions -= 1;
            if *sessions == 0 {
                open.remove(identifiers);
            }
        }
    }

    pub(crate) fn count(&self) -> usize {
        self.0.lock().expect("identifiers lock").len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identifier_counts_once_until_its_last_session_ends() {
        let unique = UniqueIdentifiers::default();
        unique.add(r#"{"user":"1"}"#);
        unique.add(r#"{"user":"1"}"#);
        unique.add(r#"{"user":"2"}"#);
        assert_eq!(unique.count(), 2);
        unique.remove(r#"{"user":"1"}"#);
        assert_eq!(unique.count(), 2);
        unique.remove(r#"{"user":"1"}"#);
        unique.remove(r#"{"user":"3"}"#);
        assert_eq!(unique.count(), 1);
    }
}
