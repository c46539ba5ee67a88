//! The reading lease: only the node holding it reads the stream, so entries are handed out in
//! order by one reader at a time instead of being spread over competing consumers. Every node
//! asks for it every second; a holder that stops renewing (killed, stalled, cut off) loses it
//! after [`LEASE_TTL`] and another node takes over, starting with what the old one left pending.

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use tokio::time::Instant;

use crate::redis_link::{within, Failure, REPLY_DEADLINE};

/// How long a lease lasts without renewal.
pub(super) const LEASE_TTL: Duration = Duration::from_secs(3);
/// How often the holder renews it, and how often other nodes ask for it.
pub(super) const RENEW_EVERY: Duration = Duration::from_secs(1);

const TAKE_OR_RENEW: &str = include_str!("lease.lua");
const RELEASE: &str =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

/// The Redis key holding the current reader's consumer name, one per stream and group.
pub(super) fn lease_key(stream: &str, group: &str) -> String {
    format!("$acrs:redisx:{stream}:{group}")
}

/// This node's side of the lease.
pub(super) struct Lease {
    key: String,
    consumer: String,
    /// When the last successful renewal was asked for (the lease runs from then at the latest).
    renewed: Option<Instant>,
}

impl Lease {
    pub(super) fn new(key: String, consumer: String) -> Lease {
        Lease {
            key,
            consumer,
            renewed: None,
        }
    }

    /// Takes the lease if it is free, renews it if this node holds it; `false` while another
    /// node holds it.
    pub(super) async fn renew(
        &mut self,
        connection: &mut MultiplexedConnection,
    ) -> Result<bool, Failure> {
        let asked = Instant::now();
        let mut script = redis::cmd("EVAL");
        script
            .arg(TAKE_OR_RENEW)
            .arg(1)
            .arg(&self.key)
            .arg(&self.consumer)
            .arg(LEASE_TTL.as_millis() as u64);
        let held = within(REPLY_DEADLINE, script.query_async::<i64>(connection)).await? == 1;
        self.renewed = held.then_some(asked);
        Ok(held)
    }

    /// Whether the holder should renew before going on.
    pub(super) fn due(&self) -> bool {
        self.renewed
            .is_none_or(|renewed| renewed.elapsed() >= RENEW_EVERY)
    }

    /// Gives the lease up (at shutdown) so another node takes over at once, not after the ttl.
    pub(super) async fn release(&mut self, connection: &mut MultiplexedConnection) {
        if self.renewed.take().is_some() {
            let mut script = redis::cmd("EVAL");
            script
                .arg(RELEASE)
                .arg(1)
                .arg(&self.key)
                .arg(&self.consumer);
            // At shutdown a failure only means the lease lapses after its ttl instead.
            let _ = within(REPLY_DEADLINE, script.query_async::<i64>(connection)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_names_stream_and_group() {
        assert_eq!(
            lease_key("__anycable__", "bx"),
            "$acrs:redisx:__anycable__:bx"
        );
    }

    #[test]
    fn a_lease_never_held_or_renewed_long_ago_is_due() {
        let mut lease = Lease::new("k".into(), "c".into());
        assert!(lease.due());
        lease.renewed = Some(Instant::now());
        assert!(!lease.due());
        lease.renewed = Some(Instant::now() - RENEW_EVERY);
        assert!(lease.due());
    }
}
