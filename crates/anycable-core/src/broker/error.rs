//! Why a broker call has no answer.

use std::fmt;

/// Why a broker call failed. The history variants all mean `reject_history` to the client; the
/// presence variants mean the command is refused; [`BrokerError::Unavailable`] is a backend
/// failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BrokerError {
    /// The requested epoch is not the current one (the server restarted, or the store lost its
    /// history), so its offsets mean nothing now.
    UnknownEpoch,
    /// The requested offset is beyond the latest one of the stream.
    OffsetAhead,
    /// A message after the requested offset is no longer kept: trimmed by the history limit,
    /// expired, or its stream forgotten.
    HistoryMissing,
    /// A presence `info` longer than [`crate::broker::presence::MAX_PRESENCE_INFO_BYTES`].
    PresenceInfoTooLarge,
    /// A presence id longer than [`crate::broker::presence::MAX_PRESENCE_ID_BYTES`].
    PresenceIdTooLong,
    /// The session already joined this stream's presence under another id.
    PresenceIdMismatch,
    /// The broker's store (Redis) is unreachable, stalled or failed the call: nothing was done,
    /// or, after a timeout, it may still be done later.
    Unavailable,
}

impl fmt::Display for BrokerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BrokerError::UnknownEpoch => f.write_str("unknown epoch"),
            BrokerError::OffsetAhead => f.write_str("offset is beyond the latest"),
            BrokerError::HistoryMissing => f.write_str("history after the offset is gone"),
            BrokerError::PresenceInfoTooLarge => f.write_str("presence info is too large"),
            BrokerError::PresenceIdTooLong => f.write_str("presence id is too long"),
            BrokerError::PresenceIdMismatch => f.write_str("presence id mismatch"),
            BrokerError::Unavailable => f.write_str("Redis is unavailable"),
        }
    }
}

impl std::error::Error for BrokerError {}
