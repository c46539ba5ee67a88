//! The Action Cable JSON protocol: client commands in, server frames out.

mod command;
mod frames;

pub use command::Command;
pub use frames::{
    broadcast_frame, confirm, disconnect, ping, reject, welcome, DisconnectReason, Frame,
};

/// The sub-protocols this server speaks, in order of preference.
pub const PROTOCOLS: [&str; 1] = ["actioncable-v1-json"];
