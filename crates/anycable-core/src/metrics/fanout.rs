//! What one server's hub counts: broadcasts delivered to local subscribers and how long each
//! took to reach all their queues.

use super::histogram::{Histogram, FANOUT_SECONDS};
use super::Counter;

pub(crate) struct FanoutMetrics {
    /// Broadcasts to a stream with subscribers here (`broadcast_msg_total`).
    pub(crate) broadcasts: Counter,
    pub(crate) seconds: Histogram,
}

impl Default for FanoutMetrics {
    fn default() -> Self {
        FanoutMetrics {
            broadcasts: Counter::default(),
            seconds: Histogram::new(&FANOUT_SECONDS),
        }
    }
}
