//! What `stats()` reports about Redis, and the one log line per outage.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::log::{log, Log};

/// One connection a server keeps to Redis; each is up or down on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Link {
    /// The broadcast adapter's and pub/sub's `SUBSCRIBE` connection.
    Subscription,
    /// Pub/sub's `PUBLISH` connection.
    Publishing,
    /// The Redis broker's command connection (scripts, sessions, presence).
    BrokerCommands,
    /// The Redis broker's fan-out subscription.
    BrokerFanout,
    /// The `redisx` adapter's stream reader.
    Redisx,
}

/// How many kinds of [`Link`] there are.
const LINKS: usize = 5;

/// Shared by every Redis connection of one server and the code that counts on their behalf.
#[derive(Debug)]
pub(crate) struct RedisHealth {
    /// Indexed by `Link as usize`; `None` for a link the server does not use.
    up: [Option<AtomicBool>; LINKS],
    dropped: AtomicU64,
    refused: AtomicU64,
    reclaimed: AtomicU64,
    invalid: AtomicU64,
    /// The server's log, for every Redis part (they all hold this health).
    log: Log,
}

/// A snapshot for `stats()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedisStats {
    /// Whether every Redis connection the server uses is up.
    pub connected: bool,
    /// This node's publications that did not reach the other nodes: the queue was full, Redis
    /// was unreachable, or it did not confirm in time. Local delivery happened regardless.
    pub dropped: u64,
    /// HTTP publications answered 503 because Redis could not register them.
    pub refused: u64,
    /// `redisx` entries this node took over from an earlier reader that had not acknowledged
    /// them (it stopped, lost its lease or lost Redis): delivered now, possibly a second time.
    pub reclaimed: u64,
    /// `redisx` entries dropped because they held no valid publication.
    pub invalid: u64,
}

impl RedisHealth {
    /// Health for the `links` a server uses, all up: the server starts only once they are.
    pub(crate) fn new(links: &[Link], log: Log) -> RedisHealth {
        let up = std::array::from_fn(|index| {
            links
                .iter()
                .any(|link| *link as usize == index)
                .then(|| AtomicBool::new(true))
        });
        RedisHealth {
            up,
            dropped: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            reclaimed: AtomicU64::new(0),
            invalid: AtomicU64::new(0),
            log,
        }
    }

    pub(crate) fn log(&self) -> &Log {
        &self.log
    }

    pub(crate) fn stats(&self) -> RedisStats {
        RedisStats {
            connected: self
                .up
                .iter()
                .flatten()
                .all(|up| up.load(Ordering::Relaxed)),
            dropped: self.dropped.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            reclaimed: self.reclaimed.load(Ordering::Relaxed),
            invalid: self.invalid.load(Ordering::Relaxed),
        }
    }

    /// Records `link` going up or down; a link the server does not use is ignored.
    pub(crate) fn set_up(&self, link: Link, up: bool) {
        if let Some(state) = &self.up[link as usize] {
            state.store(up, Ordering::Relaxed);
        }
    }

    /// Whether `link` is up (a link the server does not use never is).
    pub(crate) fn is_up(&self, link: Link) -> bool {
        self.up[link as usize]
            .as_ref()
            .is_some_and(|up| up.load(Ordering::Relaxed))
    }

    pub(crate) fn count_dropped(&self, publications: usize) {
        self.dropped
            .fetch_add(publications as u64, Ordering::Relaxed);
    }

    pub(crate) fn count_refused(&self, publications: usize) {
        self.refused
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
    log: Log,
}

impl Outage {
    pub(crate) fn new(connection: &'static str, health: &RedisHealth) -> Outage {
        Outage {
            connection,
            ongoing: false,
            log: health.log.clone(),
        }
    }

    /// `why` is ours, never a Redis error text (which could quote the URL).
    pub(crate) fn begin(&mut self, why: &str) {
        if !self.ongoing {
            self.ongoing = true;
            log!(
                self.log,
                Error,
                format!(
                    "Redis {} connection lost ({why}); reconnecting (local delivery continues)",
                    self.connection
                ),
                connection = self.connection,
                reason = why,
            );
        }
    }

    pub(crate) fn end(&mut self) {
        if self.ongoing {
            self.ongoing = false;
            log!(
                self.log,
                Info,
                format!("Redis {} connection restored", self.connection),
                connection = self.connection,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connected_means_every_used_link_is_up() {
        let health = RedisHealth::new(&[Link::BrokerCommands, Link::BrokerFanout], Log::stderr());
        assert!(health.stats().connected);
        health.set_up(Link::BrokerFanout, false);
        assert!(!health.stats().connected);
        // A link the server does not use changes nothing.
        health.set_up(Link::Subscription, false);
        health.set_up(Link::BrokerFanout, true);
        assert!(health.stats().connected);
    }

    #[test]
    fn counters_add_up() {
        let health = RedisHealth::new(&[], Log::stderr());
        health.count_dropped(2);
        health.count_refused(3);
        health.count_reclaimed(4);
        health.count_invalid(5);
        health.count_dropped(1);
        let stats = health.stats();
        assert_eq!(
            (stats.dropped, stats.refused, stats.reclaimed, stats.invalid),
            (3, 3, 4, 5)
        );
    }
}
