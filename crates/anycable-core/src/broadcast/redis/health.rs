//! What `stats()` reports about Redis, and the one log line per outage.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// A connection to Redis whose state `stats()` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Link {
    /// The broadcast adapter's and pub/sub's `SUBSCRIBE`.
    Subscription,
    /// Pub/sub's `PUBLISH` to the other nodes.
    Publishing,
    /// The `redisx` adapter's stream reader.
    Redisx,
}

impl Link {
    const COUNT: usize = 3;

    fn index(self) -> usize {
        self as usize
    }
}

/// Shared by the publisher handle and the background tasks.
#[derive(Debug)]
pub(crate) struct RedisHealth {
    dropped: AtomicU64,
    reclaimed: AtomicU64,
    invalid: AtomicU64,
    /// Up or down per link; `None` for links this server does not use.
    links: [Option<AtomicBool>; Link::COUNT],
}

/// A snapshot for `stats()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedisStats {
    /// Whether every Redis connection this server uses is up.
    pub connected: bool,
    /// This node's publications that did not reach the other nodes: the queue was full, Redis
    /// was unreachable, or it did not confirm in time. Local delivery happened regardless.
    pub dropped: u64,
    /// `redisx` entries this node took over from an earlier reader that had not acknowledged
    /// them (it stopped, lost its lease or lost Redis): delivered now, possibly a second time.
    pub reclaimed: u64,
    /// `redisx` entries dropped because they held no valid publication.
    pub invalid: u64,
}

impl RedisHealth {
    /// Starts connected on every link in `links`: the server starts only once they are up.
    pub(crate) fn new(links: &[Link]) -> RedisHealth {
        let used = |link: Link| links.contains(&link).then(|| AtomicBool::new(true));
        RedisHealth {
            dropped: AtomicU64::new(0),
            reclaimed: AtomicU64::new(0),
            invalid: AtomicU64::new(0),
            links: [
                used(Link::Subscription),
                used(Link::Publishing),
                used(Link::Redisx),
            ],
        }
    }

    pub(crate) fn stats(&self) -> RedisStats {
        RedisStats {
            connected: self
                .links
                .iter()
                .flatten()
                .all(|up| up.load(Ordering::Relaxed)),
            dropped: self.dropped.load(Ordering::Relaxed),
            reclaimed: self.reclaimed.load(Ordering::Relaxed),
            invalid: self.invalid.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn set_up(&self, link: Link, up: bool) {
        if let Some(state) = &self.links[link.index()] {
            state.store(up, Ordering::Relaxed);
        }
    }

    pub(super) fn count_dropped(&self, publications: usize) {
        self.dropped
            .fetch_add(publications as u64, Ordering::Relaxed);
    }

    pub(crate) fn count_reclaimed(&self, entries: usize) {
        self.reclaimed.fetch_add(entries as u64, Ordering::Relaxed);
    }

    pub(crate) fn count_invalid(&self, entries: usize) {
        self.invalid.fetch_add(entries as u64, Ordering::Relaxed);
    }
}

/// Logs a connection's outage once when it begins and once when it ends, however many reconnect
/// attempts fail in between.
pub(crate) struct Outage {
    connection: &'static str,
    ongoing: bool,
}

impl Outage {
    pub(crate) fn new(connection: &'static str) -> Outage {
        Outage {
            connection,
            ongoing: false,
        }
    }

    /// `why` is ours, never a Redis error text (which could quote the URL).
    pub(crate) fn begin(&mut self, why: &str) {
        if !self.ongoing {
            self.ongoing = true;
            eprintln!(
                "anycable-rs: Redis {} connection lost ({why}); reconnecting (local delivery continues)",
                self.connection
            );
        }
    }

    pub(crate) fn end(&mut self) {
        if self.ongoing {
            self.ongoing = false;
            eprintln!("anycable-rs: Redis {} connection restored", self.connection);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connected_means_every_used_link_is_up() {
        let health = RedisHealth::new(&[Link::Subscription, Link::Redisx]);
        assert!(health.stats().connected);
        health.set_up(Link::Publishing, false);
        assert!(health.stats().connected, "an unused link does not count");
        health.set_up(Link::Redisx, false);
        assert!(!health.stats().connected);
        health.set_up(Link::Redisx, true);
        assert!(health.stats().connected);
    }
}
