//! Presence as the broker reports it: the events to broadcast and who is on a stream. The frames
//! themselves are built by the protocol module.

use std::sync::Arc;

use super::BrokerError;

/// The largest presence `info` (JSON text) kept: a name and an avatar URL fit many times over, and
/// every `info` reply carries all of a stream's records.
pub(super) const MAX_PRESENCE_INFO_BYTES: usize = 4 * 1024;

/// The longest presence id kept; ids are user ids, but an email address must fit.
pub(super) const MAX_PRESENCE_ID_BYTES: usize = 1024;

/// A change to broadcast (transiently) to every subscriber of the stream, the joiner included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PresenceChange {
    /// `id` appeared on the stream.
    Join {
        id: Arc<str>,
        info: Option<Arc<str>>,
    },
    /// The last session holding `id` left the stream.
    Leave { id: Arc<str> },
}

/// Presence that lapsed (its sessions stopped touching it): a `leave` of `id` on `stream`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PresenceLapse {
    pub stream: Arc<str>,
    pub id: Arc<str>,
}

/// One present id and its info (raw JSON text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PresenceRecord {
    pub id: Arc<str>,
    pub info: Option<Arc<str>>,
}

/// Who is on a stream, one record per id, in no particular order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct PresenceInfo {
    pub records: Vec<PresenceRecord>,
}

impl PresenceInfo {
    #[cfg(test)]
    /// How many ids are present (the `total` of the `info` reply).
    pub(crate) fn total(&self) -> usize {
        self.records.len()
    }
}

/// Refuses an id or info too large to keep.
pub(super) fn check_presence(id: &str, info: Option<&str>) -> Result<(), BrokerError> {
    if id.len() > MAX_PRESENCE_ID_BYTES {
        return Err(BrokerError::PresenceIdTooLong);
    }
    if info.is_some_and(|info| info.len() > MAX_PRESENCE_INFO_BYTES) {
        return Err(BrokerError::PresenceInfoTooLarge);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_infos_up_to_their_limits_are_kept() {
        let id = "u".repeat(MAX_PRESENCE_ID_BYTES);
        let info = format!("\"{}\"", "x".repeat(MAX_PRESENCE_INFO_BYTES - 2));
        assert_eq!(check_presence(&id, Some(&info)), Ok(()));
        assert_eq!(check_presence("u1", None), Ok(()));
    }

    #[test]
    fn larger_ones_are_refused() {
        let info = format!("\"{}\"", "x".repeat(MAX_PRESENCE_INFO_BYTES - 1));
        assert_eq!(
            check_presence("u1", Some(&info)),
            Err(BrokerError::PresenceInfoTooLarge)
        );
        let id = "u".repeat(MAX_PRESENCE_ID_BYTES + 1);
        assert_eq!(
            check_presence(&id, None),
            Err(BrokerError::PresenceIdTooLong)
        );
    }
}
