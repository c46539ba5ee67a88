//! The Action Cable JSON protocols (`actioncable-v1-json` and its extension
//! `actioncable-v1-ext-json`): client commands in, server frames out.

mod command;
mod frames;
mod history;
mod keepalive;
mod negotiation;
mod presence;

// `pub` where the fuzz targets reach them through `fuzzing`.
#[cfg_attr(not(feature = "fuzzing"), allow(unreachable_pub))]
pub use command::Command;
pub(crate) use frames::{
    broadcast_frame, confirm, confirm_history, disconnect, ping, pong, presence, reject,
    reject_history, restored_welcome, stored_broadcast_frame, welcome, DisconnectReason, Frame,
    PresenceEvent, PresenceRecord, StreamOffset,
};
#[cfg(test)]
pub(crate) use history::StreamPosition;
#[cfg_attr(not(feature = "fuzzing"), allow(unreachable_pub))]
pub use history::{HistoryRequest, MalformedHistory};
pub(crate) use keepalive::{PingOverrides, TimestampPrecision};
pub(crate) use negotiation::Protocol;
#[cfg_attr(not(feature = "fuzzing"), allow(unreachable_pub))]
pub use presence::PresenceJoin;
