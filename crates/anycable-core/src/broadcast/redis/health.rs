//! What `stats()` reports about Redis, and the one log line per outage.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Shared by the publisher handle and the background tasks.
#[derive(Debug)]
pub(crate) struct RedisHealth {
    dropped: AtomicU64,
    subscribed: AtomicBool,
    /// `None` without pub/sub (the broadcast adapter alone publishes nothing).
    publishing: Option<AtomicBool>,
}

/// A snapshot for `stats()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedisStats {
    /// Whether the subscription connection (and, with pub/sub, the publishing one) is up.
    pub connected: bool,
    /// This node's publications that did not reach the other nodes: the queue was full, Redis
    /// was unreachable, or it did not confirm in time. Local delivery happened regardless.
    pub dropped: u64,
}

impl RedisHealth {
    /// Starts connected: the server starts only once both connections are up.
    pub(crate) fn new(pubsub: bool) -> RedisHealth {
        RedisHealth {
            dropped: AtomicU64::new(0),
            subscribed: AtomicBool::new(true),
            publishing: pubsub.then(|| AtomicBool::new(true)),
        }
    }

    pub(crate) fn stats(&self) -> RedisStats {
        let publishing = self
            .publishing
            .as_ref()
            .is_none_or(|up| up.load(Ordering::Relaxed));
        RedisStats {
            connected: self.subscribed.load(Ordering::Relaxed) && publishing,
            dropped: self.dropped.load(Ordering::Relaxed),
        }
    }

    pub(super) fn count_dropped(&self, publications: usize) {
        self.dropped
            .fetch_add(publications as u64, Ordering::Relaxed);
    }

    pub(super) fn set_subscribed(&self, up: bool) {
        self.subscribed.store(up, Ordering::Relaxed);
    }

    pub(super) fn set_publishing(&self, up: bool) {
        if let Some(publishing) = &self.publishing {
            publishing.store(up, Ordering::Relaxed);
        }
    }
}

/// Logs a connection's outage once when it begins and once when it ends, however many reconnect
/// attempts fail in between.
pub(super) struct Outage {
    connection: &'static str,
    ongoing: bool,
}

impl Outage {
    pub(super) fn new(connection: &'static str) -> Outage {
        Outage {
            connection,
            ongoing: false,
        }
    }

    /// `why` is ours, never a Redis error text (which could quote the URL).
    pub(super) fn begin(&mut self, why: &str) {
        if !self.ongoing {
            self.ongoing = true;
            eprintln!(
                "anycable-rs: Redis {} connection lost ({why}); reconnecting (local delivery continues)",
                self.connection
            );
        }
    }

    pub(super) fn end(&mut self) {
        if self.ongoing {
            self.ongoing = false;
            eprintln!("anycable-rs: Redis {} connection restored", self.connection);
        }
    }
}
