//! The Action Cable JSON protocols (`actioncable-v1-json` and its extension
//! `actioncable-v1-ext-json`): client commands in, server frames out.

// History and presence are served; resumption comes in a later step of issue 14, until then its
// frame is used only by its tests.
#![expect(unused_imports, reason = "resumption is not served by the session yet")]

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
pub(crate) use history::StreamPosition;
#[cfg_attr(not(feature = "fuzzing"), allow(unreachable_pub))]
pub use history::{HistoryRequest, MalformedHistory};
pub(crate) use keepalive::{
    ping_interval, PingOverrides, TimestampPrecision, PING_INTERVAL_SECONDS,
};
pub(crate) use negotiation::Protocol;
#[cfg_attr(not(feature = "fuzzing"), allow(unreachable_pub))]
pub use presence::PresenceJoin;
