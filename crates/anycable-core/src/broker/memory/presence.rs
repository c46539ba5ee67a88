//! Presence on one node: records per (stream, id), each held by one or more sessions, and each
//! session's lease on all of its presence.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use super::{lock, shrink_if_sparse};
use crate::broker::presence::check_presence;
use crate::broker::{BrokerError, PresenceChange, PresenceInfo, PresenceLapse, PresenceRecord};

/// One present id on a stream.
struct Record {
    info: Option<Arc<str>>,
    /// The sessions holding the id (usually one; a few when a user has several tabs).
    sessions: Vec<Arc<str>>,
}

/// What one session holds, and until when.
struct Holder {
    deadline: u64,
    /// Stream -> the id the session joined it as.
    joined: HashMap<Arc<str>, Arc<str>>,
}

#[derive(Default)]
struct Inner {
    /// Stream -> id -> record.
    streams: HashMap<Arc<str>, HashMap<Arc<str>, Record>>,
    /// Sid -> what it holds.
    holders: HashMap<Arc<str>, Holder>,
    /// The holders by deadline, for the sweep.
    by_deadline: BTreeSet<(u64, Arc<str>)>,
}

impl Inner {
    /// Sets the lease of `sid` to `deadline`, creating its holder; returns the shared sid.
    fn lease(&mut self, sid: &str, deadline: u64) -> Arc<str> {
        let sid = match self.holders.get_key_value(sid) {
            Some((sid, holder)) => {
                let sid = Arc::clone(sid);
                self.by_deadline
                    .remove(&(holder.deadline, Arc::clone(&sid)));
                sid
            }
            None => Arc::from(sid),
        };
        self.holders
            .entry(Arc::clone(&sid))
            .or_insert_with(|| Holder {
                deadline,
                joined: HashMap::new(),
            })
            .deadline = deadline;
        self.by_deadline.insert((deadline, Arc::clone(&sid)));
        sid
    }

    /// Takes `sid` off the record of `id` on `stream`; true when nobody holds the id any more.
    fn release(&mut self, stream: &str, id: &str, sid: &str) -> bool {
        let Some(records) = self.streams.get_mut(stream) else {
            return false;
        };
        let Some(record) = records.get_mut(id) else {
            return false;
        };
        record.sessions.retain(|holder| **holder != *sid);
        if !record.sessions.is_empty() {
            return false;
        }
        records.remove(id);
        if records.is_empty() {
            self.streams.remove(stream);
        }
        true
    }
}

#[derive(Default)]
pub(super) struct PresenceRegistry {
    inner: Mutex<Inner>,
}

impl PresenceRegistry {
    /// Session `sid` joins `stream` as `id`; its lease runs to `now + ttl`.
    pub(super) fn join(
        &self,
        stream: &str,
        sid: &str,
        id: &str,
        info: Option<&str>,
        now: u64,
        ttl: u64,
    ) -> Result<Option<PresenceChange>, BrokerError> {
        check_presence(id, info)?;
        let mut inner = lock(&self.inner);
        let joined_as = inner
            .holders
            .get(sid)
            .and_then(|holder| holder.joined.get(stream));
        if joined_as.is_some_and(|joined_as| **joined_as != *id) {
            return Err(BrokerError::PresenceIdMismatch);
        }
        let sid = inner.lease(sid, now.saturating_add(ttl));
        let info: Option<Arc<str>> = info.map(Arc::from);
        let stream = match inner.streams.get_key_value(stream) {
            Some((stream, _)) => Arc::clone(stream),
            None => Arc::from(stream),
        };
        let records = inner.streams.entry(Arc::clone(&stream)).or_default();
        let (id, change) = match records.get_key_value(id) {
            Some((id, _)) => (Arc::clone(id), None),
            None => {
                let id: Arc<str> = Arc::from(id);
                let change = PresenceChange::Join {
                    id: Arc::clone(&id),
                    info: info.clone(),
                };
                (id, Some(change))
            }
        };
        let record = records.entry(Arc::clone(&id)).or_insert_with(|| Record {
            info: None,
            sessions: Vec::new(),
        });
        // The latest join's info wins, whichever session sent it.
        record.info = info;
        if !record.sessions.contains(&sid) {
            record.sessions.push(Arc::clone(&sid));
        }
        if let Some(holder) = inner.holders.get_mut(&sid) {
            holder.joined.insert(stream, id);
        }
        Ok(change)
    }

    /// Session `sid` leaves `stream`; a `leave` when it was the last one holding its id.
    pub(super) fn leave(&self, stream: &str, sid: &str) -> Option<PresenceChange> {
        let mut inner = lock(&self.inner);
        let holder = inner.holders.get_mut(sid)?;
        let (_, id) = holder.joined.remove_entry(stream)?;
        if holder.joined.is_empty() {
            let deadline = holder.deadline;
            if let Some((sid, _)) = inner.holders.remove_entry(sid) {
                inner.by_deadline.remove(&(deadline, sid));
            }
        }
        inner
            .release(stream, &id, sid)
            .then_some(PresenceChange::Leave { id })
    }

    /// Extends the lease of `sid`, if it holds any presence, to `now + ttl`.
    pub(super) fn touch(&self, sid: &str, now: u64, ttl: u64) {
        let mut inner = lock(&self.inner);
        if inner.holders.contains_key(sid) {
            inner.lease(sid, now.saturating_add(ttl));
        }
    }

    /// Who is on `stream`.
    pub(super) fn info(&self, stream: &str) -> PresenceInfo {
        let inner = lock(&self.inner);
        let records = inner.streams.get(stream).map_or_else(Vec::new, |records| {
            records
                .iter()
                .map(|(id, record)| PresenceRecord {
                    id: Arc::clone(id),
                    info: record.info.clone(),
                })
                .collect()
        });
        PresenceInfo { records }
    }

    /// Ends the leases due by `now`; returns the ids that nobody holds any more.
    pub(super) fn sweep(&self, now: u64) -> Vec<PresenceLapse> {
        let mut inner = lock(&self.inner);
        let mut lapses = Vec::new();
        loop {
            match inner.by_deadline.first() {
                Some(&(deadline, _)) if deadline <= now => {}
                _ => break,
            }
            let Some((_, sid)) = inner.by_deadline.pop_first() else {
                break;
            };
            let Some(holder) = inner.holders.remove(&sid) else {
                continue;
            };
            for (stream, id) in holder.joined {
                if inner.release(&stream, &id, &sid) {
                    lapses.push(PresenceLapse { stream, id });
                }
            }
        }
        shrink_if_sparse(&mut inner.holders);
        shrink_if_sparse(&mut inner.streams);
        lapses
    }

    #[cfg(test)]
    /// How many sessions hold presence, and how many records there are.
    pub(super) fn counts(&self) -> (usize, usize) {
        let inner = lock(&self.inner);
        let records = inner.streams.values().map(HashMap::len).sum();
        (inner.holders.len(), records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::presence::{MAX_PRESENCE_ID_BYTES, MAX_PRESENCE_INFO_BYTES};

    const TTL: u64 = 15;

    fn join(id: &str, info: &str) -> Option<PresenceChange> {
        Some(PresenceChange::Join {
            id: Arc::from(id),
            info: Some(Arc::from(info)),
        })
    }

    fn leave(id: &str) -> Option<PresenceChange> {
        Some(PresenceChange::Leave { id: Arc::from(id) })
    }

    fn ids_and_infos(registry: &PresenceRegistry, stream: &str) -> Vec<(String, Option<String>)> {
        let mut records: Vec<_> = registry
            .info(stream)
            .records
            .into_iter()
            .map(|record| (record.id.to_string(), record.info.map(|i| i.to_string())))
            .collect();
        records.sort();
        records
    }

    #[test]
    fn a_new_id_joins_and_its_last_session_leaves() {
        let registry = PresenceRegistry::default();
        assert_eq!(
            registry.join("chat", "s1", "u1", Some("{\"name\":\"Ann\"}"), 0, TTL),
            Ok(join("u1", "{\"name\":\"Ann\"}"))
        );
        assert_eq!(
            ids_and_infos(&registry, "chat"),
            [("u1".into(), Some("{\"name\":\"Ann\"}".into()))]
        );
        assert_eq!(registry.leave("chat", "s1"), leave("u1"));
        assert_eq!(registry.info("chat").total(), 0);
        assert_eq!(registry.counts(), (0, 0));
    }

    #[test]
    fn several_sessions_with_one_id_make_one_record() {
        let registry = PresenceRegistry::default();
        assert_eq!(
            registry.join("chat", "s1", "u1", Some("1"), 0, TTL),
            Ok(join("u1", "1"))
        );
        assert_eq!(
            registry.join("chat", "s3", "u1", Some("3"), 0, TTL),
            Ok(None)
        );
        assert_eq!(registry.info("chat").total(), 1);
        assert_eq!(registry.leave("chat", "s1"), None);
        assert_eq!(registry.info("chat").total(), 1);
        assert_eq!(registry.leave("chat", "s3"), leave("u1"));
        assert_eq!(registry.counts(), (0, 0));
    }

    #[test]
    fn joining_again_updates_the_info_and_another_id_is_refused() {
        let registry = PresenceRegistry::default();
        registry
            .join("chat", "s1", "u1", Some("\"A\""), 0, TTL)
            .unwrap();
        assert_eq!(
            registry.join("chat", "s1", "u1", Some("\"B\""), 0, TTL),
            Ok(None)
        );
        assert_eq!(
            registry.join("chat", "s1", "u2", Some("\"C\""), 0, TTL),
            Err(BrokerError::PresenceIdMismatch)
        );
        assert_eq!(
            ids_and_infos(&registry, "chat"),
            [("u1".into(), Some("\"B\"".into()))]
        );
        // Another stream is another presence: a different id is fine there.
        assert_eq!(
            registry.join("other", "s1", "u2", None, 0, TTL),
            Ok(Some(PresenceChange::Join {
                id: Arc::from("u2"),
                info: None
            }))
        );
    }

    #[test]
    fn leaving_what_was_never_joined_is_nothing() {
        let registry = PresenceRegistry::default();
        assert_eq!(registry.leave("chat", "s1"), None);
        registry.join("chat", "s1", "u1", None, 0, TTL).unwrap();
        assert_eq!(registry.leave("other", "s1"), None);
        assert_eq!(registry.leave("chat", "s2"), None);
        assert_eq!(registry.info("chat").total(), 1);
    }

    #[test]
    fn oversized_ids_and_infos_are_refused_and_not_kept() {
        let registry = PresenceRegistry::default();
        let info = "x".repeat(MAX_PRESENCE_INFO_BYTES + 1);
        assert_eq!(
            registry.join("chat", "s1", "u1", Some(&info), 0, TTL),
            Err(BrokerError::PresenceInfoTooLarge)
        );
        let id = "u".repeat(MAX_PRESENCE_ID_BYTES + 1);
        assert_eq!(
            registry.join("chat", "s1", &id, None, 0, TTL),
            Err(BrokerError::PresenceIdTooLong)
        );
        assert_eq!(registry.counts(), (0, 0));
    }

    #[test]
    fn an_untouched_lease_lapses_with_one_leave_per_id() {
        let registry = PresenceRegistry::default();
        registry.join("a", "s1", "u1", None, 100, TTL).unwrap();
        registry.join("b", "s1", "u1", None, 100, TTL).unwrap();
        assert_eq!(registry.sweep(114), []);
        let mut lapses = registry.sweep(115);
        lapses.sort_by(|x, y| x.stream.cmp(&y.stream));
        assert_eq!(
            lapses,
            [
                PresenceLapse {
                    stream: Arc::from("a"),
                    id: Arc::from("u1")
                },
                PresenceLapse {
                    stream: Arc::from("b"),
                    id: Arc::from("u1")
                }
            ]
        );
        assert_eq!(registry.counts(), (0, 0));
        assert_eq!(registry.sweep(200), []);
    }

    #[test]
    fn touching_keeps_presence_alive() {
        let registry = PresenceRegistry::default();
        registry.join("chat", "s1", "u1", None, 100, TTL).unwrap();
        registry.touch("s1", 110, TTL);
        registry.touch("s1", 120, TTL);
        assert_eq!(registry.sweep(134), []);
        assert_eq!(registry.info("chat").total(), 1);
        assert_eq!(registry.sweep(135).len(), 1);
        // Touching a session without presence creates nothing.
        registry.touch("s2", 135, TTL);
        assert_eq!(registry.counts(), (0, 0));
    }

    #[test]
    fn an_id_that_comes_back_in_time_never_leaves() {
        let registry = PresenceRegistry::default();
        registry.join("chat", "old", "u1", None, 100, TTL).unwrap();
        // The old session disconnected at 100 (its last touch); a new one joins as u1 at 105.
        assert_eq!(registry.join("chat", "new", "u1", None, 105, TTL), Ok(None));
        assert_eq!(registry.sweep(115), []);
        assert_eq!(ids_and_infos(&registry, "chat"), [("u1".into(), None)]);
        assert_eq!(registry.counts(), (1, 1));
    }

    #[test]
    fn a_leave_before_the_lapse_is_not_repeated() {
        let registry = PresenceRegistry::default();
        registry.join("chat", "s1", "u1", None, 100, TTL).unwrap();
        registry.join("other", "s1", "u1", None, 100, TTL).unwrap();
        assert_eq!(registry.leave("chat", "s1"), leave("u1"));
        let lapses = registry.sweep(115);
        assert_eq!(
            lapses,
            [PresenceLapse {
                stream: Arc::from("other"),
                id: Arc::from("u1")
            }]
        );
    }
}
