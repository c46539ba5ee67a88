//! The Action Cable JSON protocols (`actioncable-v1-json` and its extension
//! `actioncable-v1-ext-json`): client commands in, server frames out.

// History is served; resumption, presence and keepalive frames come in later steps of issue 14,
// until then some of them are used only by their tests.
#![expect(
    unused_imports,
    reason = "resumption, presence and keepalive are not served by the session yet"
)]
#![cfg_attr(
    not(test),
    expect(
        dead_code,
        reason = "resumption, presence and keepalive are not served by the session yet"
    )
)]

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
