//! The session cache: a snapshot per sid until its deadline, restorable once.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use super::{lock, shrink_if_sparse};

/// The most snapshots kept. Live sessions keep theirs too, so this must exceed the connections a
/// node serves; past it the snapshot nearest its deadline goes first.
pub(crate) const MAX_CACHED_SESSIONS: usize = 1 << 20;

struct Cached {
    snapshot: String,
    deadline: u64,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Arc<str>, Cached>,
    /// The same entries by deadline, for the sweep and for eviction.
    by_deadline: BTreeSet<(u64, Arc<str>)>,
}

impl Inner {
    fn remove(&mut self, sid: &str) -> Option<(Arc<str>, Cached)> {
        let (sid, cached) = self.entries.remove_entry(sid)?;
        self.by_deadline
            .remove(&(cached.deadline, Arc::clone(&sid)));
        Some((sid, cached))
    }

    fn insert(&mut self, sid: Arc<str>, cached: Cached) {
        self.by_deadline.insert((cached.deadline, Arc::clone(&sid)));
        self.entries.insert(sid, cached);
    }

    /// Removes the entry with the earliest deadline (if `due` says it is due).
    fn pop_first_if(&mut self, due: impl Fn(u64) -> bool) -> bool {
        match self.by_deadline.first() {
            Some(&(deadline, _)) if due(deadline) => {}
            _ => return false,
        }
        if let Some((_, sid)) = self.by_deadline.pop_first() {
            self.entries.remove(&sid);
        }
        true
    }
}

pub(super) struct SessionCache {
    inner: Mutex<Inner>,
    capacity: usize,
}

impl SessionCache {
    pub(super) fn with_capacity(capacity: usize) -> SessionCache {
        SessionCache {
            inner: Mutex::default(),
            capacity,
        }
    }

    /// Keeps `snapshot` under `sid` until `now + ttl`; a zero ttl keeps nothing.
    pub(super) fn store(&self, sid: &str, snapshot: String, now: u64, ttl: u64) {
        let mut inner = lock(&self.inner);
        let sid = inner
            .remove(sid)
            .map_or_else(|| Arc::from(sid), |(sid, _)| sid);
        if ttl == 0 {
            return;
        }
        let deadline = now.saturating_add(ttl);
        inner.insert(sid, Cached { snapshot, deadline });
        while inner.entries.len() > self.capacity && inner.pop_first_if(|_| true) {}
    }

    /// Removes the snapshot under `sid`, returning it if it had not expired.
    pub(super) fn take(&self, sid: &str, now: u64) -> Option<String> {
        let (_, cached) = lock(&self.inner).remove(sid)?;
        (cached.deadline > now).then_some(cached.snapshot)
    }

    /// Drops the snapshots whose deadline has passed.
    pub(super) fn sweep(&self, now: u64) {
        let mut inner = lock(&self.inner);
        while inner.pop_first_if(|deadline| deadline <= now) {}
        shrink_if_sparse(&mut inner.entries);
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        lock(&self.inner).entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> SessionCache {
        SessionCache::with_capacity(MAX_CACHED_SESSIONS)
    }

    #[test]
    fn a_snapshot_is_restored_once() {
        let cache = cache();
        cache.store("s1", "{\"ids\":\"u1\"}".into(), 100, 300);
        assert_eq!(cache.take("s1", 200).as_deref(), Some("{\"ids\":\"u1\"}"));
        assert_eq!(cache.take("s1", 200), None);
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn storing_again_replaces_the_snapshot_and_its_deadline() {
        let cache = cache();
        cache.store("s1", "old".into(), 100, 300);
        cache.store("s1", "new".into(), 300, 300);
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.take("s1", 500).as_deref(), Some("new"));
    }

    #[test]
    fn an_expired_snapshot_is_not_restored_even_before_a_sweep() {
        let cache = cache();
        cache.store("s1", "snap".into(), 100, 300);
        assert_eq!(cache.take("s1", 400), None);
    }

    #[test]
    fn a_zero_ttl_keeps_nothing() {
        let cache = cache();
        cache.store("s1", "snap".into(), 100, 300);
        cache.store("s1", "snap".into(), 100, 0);
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn the_sweep_frees_expired_snapshots() {
        let cache = cache();
        cache.store("early", "a".into(), 100, 300);
        cache.store("late", "b".into(), 200, 300);
        cache.sweep(399);
        assert_eq!(cache.len(), 2);
        cache.sweep(400);
        assert_eq!(cache.len(), 1);
        cache.sweep(500);
        assert_eq!(cache.len(), 0);
        assert!(lock(&cache.inner).by_deadline.is_empty());
    }

    #[test]
    fn past_its_capacity_the_cache_drops_the_nearest_deadline() {
        let cache = SessionCache::with_capacity(2);
        cache.store("first", "a".into(), 100, 300);
        cache.store("second", "b".into(), 101, 300);
        cache.store("third", "c".into(), 102, 300);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.take("first", 102), None);
        assert_eq!(cache.take("second", 102).as_deref(), Some("b"));
        assert_eq!(cache.take("third", 102).as_deref(), Some("c"));
    }
}
