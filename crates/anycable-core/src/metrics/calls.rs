//! What one server's application calls (RPC `connect` / `command` / `disconnect`) count.

use super::histogram::{Histogram, CALL_SECONDS};
use super::{Counter, Gauge};

pub(crate) struct CallMetrics {
    /// Calls made (`rpc_call_total`), failed for any reason (`rpc_error_total`) and of those,
    /// timed out (`rpc_timeouts_total`).
    pub(crate) calls: Counter,
    pub(crate) errors: Counter,
    pub(crate) timeouts: Counter,
    /// Calls waiting for one of the `rpcConcurrency` slots (`rpc_pending_num`).
    pub(crate) pending: Gauge,
    /// Seconds from the call's start (its wait for a slot included) to its answer.
    pub(crate) duration: Histogram,
}

impl Default for CallMetrics {
    fn default() -> Self {
        CallMetrics {
            calls: Counter::default(),
            errors: Counter::default(),
            timeouts: Counter::default(),
            pending: Gauge::default(),
            duration: Histogram::new(&CALL_SECONDS),
        }
    }
}
