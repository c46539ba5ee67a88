//! The broker's time: whole Unix seconds, like history timestamps and the clients' `since`.
//! A broker reads it through [`Clock`] so that tests move time on instead of sleeping.

use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time in whole Unix seconds.
pub(crate) trait Clock: Send + Sync + 'static {
    /// Now, in whole seconds since 1970.
    fn now(&self) -> u64;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        // A clock set before 1970 reads as 1970: times only order history, they never panic.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs())
    }
}

#[cfg(test)]
pub(crate) mod manual {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    use super::Clock;

    /// A clock that only moves when a test moves it; clones share the time.
    #[derive(Debug, Clone)]
    pub(crate) struct ManualClock(Arc<AtomicU64>);

    impl ManualClock {
        pub(crate) fn at(now: u64) -> ManualClock {
            ManualClock(Arc::new(AtomicU64::new(now)))
        }

        pub(crate) fn advance(&self, seconds: u64) {
            self.0.fetch_add(seconds, Ordering::SeqCst);
        }
    }

    impl Clock for ManualClock {
        fn now(&self) -> u64 {
            self.0.load(Ordering::SeqCst)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_clock_reads_unix_seconds() {
        // 2020-09-13 and 2100-01-01: far enough apart to catch milliseconds or a wrong epoch.
        let now = SystemClock.now();
        assert!((1_600_000_000..4_102_444_800).contains(&now), "{now}");
    }
}
