//! Connections that have not become WebSocket sessions yet (still sending their request, or
//! idling between keep-alive requests), oldest first, so that stalled ones cannot crowd out real
//! clients: at the cap, or when the process runs out of descriptors, the oldest is closed.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

/// The registry of unfinished connections.
pub(super) struct PendingConnections {
    cap: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    /// By registration order, so the first entry is the oldest.
    waiting: BTreeMap<u64, Arc<Notify>>,
}

/// One registered connection; dropping it (the connection upgraded or ended) unregisters it.
pub(super) struct Pending {
    id: u64,
    evicted: Arc<Notify>,
    registry: Arc<PendingConnections>,
}

impl PendingConnections {
    pub(super) fn new(cap: usize) -> PendingConnections {
        PendingConnections {
            cap,
            inner: Mutex::default(),
        }
    }

    /// Registers a new connection; at the cap, the oldest one is told to close first.
    pub(super) fn register(self: &Arc<Self>) -> Pending {
        let evicted = Arc::new(Notify::new());
        let mut inner = self.inner.lock().expect("pending lock");
        while inner.waiting.len() >= self.cap {
            if !inner.evict_oldest() {
                break;
            }
        }
        let id = inner.next_id;
        inner.next_id += 1;
        inner.waiting.insert(id, Arc::clone(&evicted));
        Pending {
            id,
            evicted,
            registry: Arc::clone(self),
        }
    }

    /// Tells the oldest unfinished connection to close; false when there is none.
    pub(super) fn evict_oldest(&self) -> bool {
        self.inner.lock().expect("pending lock").evict_oldest()
    }

    /// How many connections are unfinished.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.inner.lock().expect("pending lock").waiting.len()
    }
}

impl Inner {
    fn evict_oldest(&mut self) -> bool {
        match self.waiting.pop_first() {
            // `notify_one` keeps a permit, so the connection sees it even if not yet waiting.
            Some((_, evicted)) => {
                evicted.notify_one();
                true
            }
            None => false,
        }
    }
}

impl Pending {
    /// Resolves when the registry wants this connection closed.
    pub(super) async fn evicted(&self) {
        self.evicted.notified().await;
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Ok(mut inner) = self.registry.inner.lock() {
            inner.waiting.remove(&self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    async fn is_evicted(pending: &Pending) -> bool {
        tokio::time::timeout(Duration::from_millis(20), pending.evicted())
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn at_the_cap_the_oldest_goes_first() {
        let registry = Arc::new(PendingConnections::new(2));
        let first = registry.register();
        let second = registry.register();
        let third = registry.register();
        assert!(is_evicted(&first).await);
        assert!(!is_evicted(&second).await);
        assert!(!is_evicted(&third).await);
        assert_eq!(registry.len(), 2);
    }

    #[tokio::test]
    async fn finished_connections_leave_and_eviction_takes_the_oldest_left() {
        let registry = Arc::new(PendingConnections::new(10));
        let first = registry.register();
        let second = registry.register();
        drop(first);
        assert!(registry.evict_oldest());
        assert!(is_evicted(&second).await);
        assert!(!registry.evict_oldest());
        assert_eq!(registry.len(), 0);
    }
}
