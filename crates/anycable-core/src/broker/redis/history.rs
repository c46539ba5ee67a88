//! Registration and history in Redis: `register.lua`, `history_from.lua`, `history_since.lua`.

use super::RedisBroker;
use crate::broker::{BrokerError, EntryAck, History, Registered, Registration};

/// Registers `batch` (and acknowledges `ack`) in one script call, which also publishes the
/// records to every node.
pub(super) async fn register_batch(
    _broker: &RedisBroker,
    _batch: &[Registration<'_>],
    _ack: Option<&EntryAck>,
) -> Result<Registered, BrokerError> {
    Err(BrokerError::Unavailable)
}

/// The messages of `stream` after `offset` of `epoch`.
pub(super) async fn history_from(
    _broker: &RedisBroker,
    _stream: &str,
    _epoch: &str,
    _offset: u64,
) -> Result<History, BrokerError> {
    Err(BrokerError::Unavailable)
}

/// The kept messages of `stream` since `since` (Unix seconds).
pub(super) async fn history_since(
    _broker: &RedisBroker,
    _stream: &str,
    _since: u64,
) -> Result<History, BrokerError> {
    Err(BrokerError::Unavailable)
}
