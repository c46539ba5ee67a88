//! Positions in a stream and the messages a history request gives back.

use std::sync::Arc;

/// Where a registered message sits: what its frame carries as `epoch` and `offset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StreamPosition {
    pub epoch: Arc<str>,
    pub offset: u64,
}

/// One kept message: its offset and its data (the message's JSON text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeptMessage {
    pub offset: u64,
    pub data: Arc<str>,
}

/// The answer to a history request: messages of one stream, oldest first, all of `epoch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct History {
    pub epoch: Arc<str>,
    pub messages: Vec<KeptMessage>,
}
