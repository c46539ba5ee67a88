//! What every Redis connection of the server shares: deadlines on each call, reconnect backoff,
//! the health `stats()` reports, and URLs with their password hidden.

mod deadline;
mod health;

use std::time::Duration;

pub(crate) use deadline::{within, Failure, CONNECT_DEADLINE, REPLY_DEADLINE};
pub use health::RedisStats;
pub(crate) use health::{Link, Outage, RedisHealth};

/// How often each connection asks an otherwise quiet Redis whether it is still there; with the
/// reply deadline (2 s), a stall is noticed within 3 s.
pub(crate) const PING_EVERY: Duration = Duration::from_secs(1);

/// Reconnect delays: from 100 ms, doubling up to 2 s, so a Redis that comes back is used again
/// within a few seconds without hammering one that stays away.
pub(crate) struct Backoff {
    next: Duration,
}

impl Backoff {
    const MIN: Duration = Duration::from_millis(100);
    const MAX: Duration = Duration::from_secs(2);

    pub(crate) fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(Backoff::MAX);
        delay
    }

    pub(crate) fn reset(&mut self) {
        self.next = Backoff::MIN;
    }
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff { next: Backoff::MIN }
    }
}

/// The URL without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("redis://:hunter2@cache:6379/0"),
            "redis://***@cache:6379/0"
        );
        assert_eq!(redact("redis://localhost:6379"), "redis://localhost:6379");
    }

    #[test]
    fn reconnect_delays_double_up_to_a_cap_and_reset() {
        let mut backoff = Backoff::default();
        let delays: Vec<_> = (0..7).map(|_| backoff.next_delay().as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1600, 2000, 2000]);
        backoff.reset();
        assert_eq!(backoff.next_delay(), Backoff::MIN);
    }
}
