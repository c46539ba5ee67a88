//! A session's subscriptions by identifier. Nearly every client holds one to a few, for hours:
//! a list sized to what it holds (one subscription: 48 bytes) rather than a hash map (348 bytes
//! for the first one, measured with heaptrack; BENCHMARKS.md), and a map once a client holds
//! many, so that a large `maxSubscriptions` cannot make each command a long scan.

use std::collections::HashMap;
use std::sync::Arc;

use super::core::Subscription;

/// Past this many subscriptions a session looks them up in a hash map.
const LISTED: usize = 16;

pub(super) enum Subscriptions {
    /// In subscription order.
    Listed(Vec<(Arc<str>, Subscription)>),
    Mapped(HashMap<Arc<str>, Subscription>),
}

impl Default for Subscriptions {
    fn default() -> Self {
        Subscriptions::Listed(Vec::new())
    }
}

impl Subscriptions {
    pub(super) fn len(&self) -> usize {
        match self {
            Subscriptions::Listed(listed) => listed.len(),
            Subscriptions::Mapped(mapped) => mapped.len(),
        }
    }

    pub(super) fn contains_key(&self, identifier: &str) -> bool {
        self.get(identifier).is_some()
    }

    pub(super) fn get(&self, identifier: &str) -> Option<&Subscription> {
        self.get_key_value(identifier)
            .map(|(_, subscription)| subscription)
    }

    pub(super) fn get_key_value(&self, identifier: &str) -> Option<(&Arc<str>, &Subscription)> {
        match self {
            Subscriptions::Listed(listed) => listed
                .iter()
                .find(|(key, _)| **key == *identifier)
                .map(|(key, subscription)| (key, subscription)),
            Subscriptions::Mapped(mapped) => mapped.get_key_value(identifier),
        }
    }

    pub(super) fn get_mut(&mut self, identifier: &str) -> Option<&mut Subscription> {
        match self {
            Subscriptions::Listed(listed) => listed
                .iter_mut()
                .find(|(key, _)| **key == *identifier)
                .map(|(_, subscription)| subscription),
            Subscriptions::Mapped(mapped) => mapped.get_mut(identifier),
        }
    }

    /// The subscription to `identifier`, added with `subscription()` if there is none.
    pub(super) fn get_or_insert_with(
        &mut self,
        identifier: Arc<str>,
        subscription: impl FnOnce() -> Subscription,
    ) -> &mut Subscription {
        if !self.contains_key(&identifier) {
            self.insert(Arc::clone(&identifier), subscription());
        }
        self.get_mut(&identifier).expect("just inserted")
    }

    /// Adds or replaces the subscription to `identifier`.
    pub(super) fn insert(&mut self, identifier: Arc<str>, subscription: Subscription) {
        match self {
            Subscriptions::Listed(listed) => {
                if let Some(entry) = listed.iter_mut().find(|(key, _)| *key == identifier) {
                    entry.1 = subscription;
                } else if listed.len() < LISTED {
                    // The first one alone: most sessions never add a second.
                    if listed.capacity() == 0 {
                        listed.reserve_exact(1);
                    }
                    listed.push((identifier, subscription));
                } else {
                    let mut mapped: HashMap<_, _> = std::mem::take(listed).into_iter().collect();
                    mapped.insert(identifier, subscription);
                    *self = Subscriptions::Mapped(mapped);
                }
            }
            Subscriptions::Mapped(mapped) => {
                mapped.insert(identifier, subscription);
            }
        }
    }

    pub(super) fn remove_entry(&mut self, identifier: &str) -> Option<(Arc<str>, Subscription)> {
        match self {
            Subscriptions::Listed(listed) => {
                let at = listed.iter().position(|(key, _)| **key == *identifier)?;
                Some(listed.remove(at))
            }
            Subscriptions::Mapped(mapped) => mapped.remove_entry(identifier),
        }
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (&Arc<str>, &Subscription)> {
        let (listed, mapped) = match self {
            Subscriptions::Listed(listed) => (Some(listed), None),
            Subscriptions::Mapped(mapped) => (None, Some(mapped)),
        };
        let listed = listed
            .into_iter()
            .flatten()
            .map(|(key, subscription)| (key, subscription));
        listed.chain(mapped.into_iter().flatten())
    }

    pub(super) fn keys(&self) -> impl Iterator<Item = &Arc<str>> {
        self.iter().map(|(key, _)| key)
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &Subscription> {
        self.iter().map(|(_, subscription)| subscription)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::presence::Presence;

    fn subscription(whisper: bool) -> Subscription {
        Subscription {
            streams: Vec::new(),
            whisper,
            application: false,
            presence: Presence::Forbidden,
        }
    }

    /// Every operation on `Subscriptions` against a `HashMap`, across the switch to a map.
    #[test]
    fn behaves_like_a_map_below_and_above_the_switch() {
        let mut ours = Subscriptions::default();
        let mut reference: HashMap<Arc<str>, bool> = HashMap::new();
        let id = |n: usize| -> Arc<str> { Arc::from(format!("{{\"channel\":\"C\",\"n\":{n}}}")) };
        for n in 0..(3 * LISTED) {
            ours.insert(id(n), subscription(n % 2 == 0));
            reference.insert(id(n), n % 2 == 0);
            // Replacing keeps one entry.
            ours.insert(id(n / 2), subscription(true));
            reference.insert(id(n / 2), true);
            if n % 5 == 4 {
                let removed = ours
                    .remove_entry(&id(n - 1))
                    .map(|(key, s)| (key, s.whisper));
                assert_eq!(removed, reference.remove_entry(&id(n - 1)));
            }
            assert_eq!(ours.len(), reference.len());
            for probe in 0..=n + 1 {
                let key = id(probe);
                assert_eq!(ours.contains_key(&key), reference.contains_key(&key));
                assert_eq!(
                    ours.get(&key).map(|s| s.whisper),
                    reference.get(&key).copied()
                );
            }
            let mut listed: Vec<(Arc<str>, bool)> = ours
                .iter()
                .map(|(key, s)| (key.clone(), s.whisper))
                .collect();
            let mut expected: Vec<(Arc<str>, bool)> =
                reference.iter().map(|(key, w)| (key.clone(), *w)).collect();
            listed.sort();
            expected.sort();
            assert_eq!(listed, expected);
        }
        assert!(matches!(ours, Subscriptions::Mapped(_)), "many are mapped");
    }

    #[test]
    fn a_single_subscription_takes_room_for_one() {
        let mut ours = Subscriptions::default();
        ours.insert(Arc::from("a"), subscription(false));
        let Subscriptions::Listed(listed) = &ours else {
            panic!("one is listed");
        };
        assert_eq!(listed.capacity(), 1);
        ours.get_or_insert_with(Arc::from("b"), || subscription(true));
        let kept = ours.get_or_insert_with(Arc::from("b"), || subscription(false));
        assert!(kept.whisper, "an existing subscription is kept");
        assert_eq!(
            ours.keys().map(|key| &**key).collect::<Vec<_>>(),
            ["a", "b"]
        );
    }
}
