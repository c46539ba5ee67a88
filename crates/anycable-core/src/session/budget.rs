//! The command rate limit of one connection: a token bucket of `rate` commands per second holding
//! at most `rate`, kept as its "generic cell rate algorithm" form, one instant per session. (Not
//! the `governor` crate: its limiter carries a clock and shared state, more than every idle
//! session should pay for these few lines.)

use std::time::Duration;

use tokio::time::Instant;

/// How many commands a connection may still send at once, and when it may send again.
pub(super) struct CommandBudget {
    /// When the bucket will be full again: each command moves it one interval later, and a client
    /// is over budget while that lies a whole burst ahead.
    full_at: Instant,
}

impl CommandBudget {
    pub(super) fn new(now: Instant) -> CommandBudget {
        CommandBudget { full_at: now }
    }

    /// Counts one command read at `now`.
    pub(super) fn spend(&mut self, now: Instant, rate: u32) {
        self.full_at = self.full_at.max(now) + interval(rate);
    }

    /// When the next command may be read, if not at `now`: once the bucket holds a token for it,
    /// i.e. once `full_at` lies less than a whole burst (`rate` intervals) ahead.
    pub(super) fn wait_until(&self, now: Instant, rate: u32) -> Option<Instant> {
        let ready = self.full_at.checked_sub(interval(rate) * (rate - 1))?;
        (ready > now).then_some(ready)
    }
}

fn interval(rate: u32) -> Duration {
    Duration::from_secs(1) / rate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_rate_commands_passes_then_one_per_interval() {
        let start = Instant::now();
        let mut budget = CommandBudget::new(start);
        for _ in 0..10 {
            assert_eq!(budget.wait_until(start, 10), None);
            budget.spend(start, 10);
        }
        let ready = budget.wait_until(start, 10).expect("over budget");
        assert_eq!(ready - start, Duration::from_millis(100));
        budget.spend(ready, 10);
        assert_eq!(
            budget.wait_until(ready, 10).unwrap() - ready,
            Duration::from_millis(100)
        );
    }

    #[test]
    fn an_idle_client_gets_its_whole_burst_back() {
        let start = Instant::now();
        let mut budget = CommandBudget::new(start);
        for _ in 0..15 {
            budget.spend(start, 10);
        }
        let later = start + Duration::from_secs(10);
        for _ in 0..10 {
            assert_eq!(budget.wait_until(later, 10), None);
            budget.spend(later, 10);
        }
        assert!(budget.wait_until(later, 10).is_some());
    }
}
