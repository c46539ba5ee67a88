//! Presence in Redis: `join.lua`, `leave.lua`, `touch.lua`, `sweep.lua` and `HGETALL`.

use super::RedisBroker;
use crate::broker::{BrokerError, PresenceChange, PresenceInfo, PresenceLapse};

/// Session `sid` joins `stream` as `id`.
pub(super) async fn join(
    _broker: &RedisBroker,
    _stream: &str,
    _sid: &str,
    _id: &str,
    _info: Option<&str>,
) -> Result<Option<PresenceChange>, BrokerError> {
    Err(BrokerError::Unavailable)
}

/// Session `sid` leaves `stream`.
pub(super) async fn leave(
    _broker: &RedisBroker,
    _stream: &str,
    _sid: &str,
) -> Result<Option<PresenceChange>, BrokerError> {
    Err(BrokerError::Unavailable)
}

/// Session `sid`'s presence lasts another presence ttl.
pub(super) async fn touch(_broker: &RedisBroker, _sid: &str) -> Result<(), BrokerError> {
    Err(BrokerError::Unavailable)
}

/// Who is present on `stream`.
pub(super) async fn info(
    _broker: &RedisBroker,
    _stream: &str,
) -> Result<PresenceInfo, BrokerError> {
    Err(BrokerError::Unavailable)
}

/// Removes lapsed presence; its leaves are published by the script.
pub(super) async fn sweep(_broker: &RedisBroker) -> Result<Vec<PresenceLapse>, BrokerError> {
    Err(BrokerError::Unavailable)
}
