//! What a session reads: its own bounds and timers, the channels the server answers itself, and
//! the application (if any).

use std::time::Duration;

use crate::channels::ChannelSettings;
use crate::log::Log;
use crate::rpc::Rpc;

/// A session's settings, resolved from the options by `config` and shared by every session.
pub struct SessionSettings {
    pub ping_interval: Duration,
    /// Frames a session may have waiting before it is disconnected as `too_slow`.
    pub outgoing_queue: usize,
    /// Bytes a session may have waiting (besides `outgoing_queue` frames) before `too_slow`.
    pub max_outgoing_bytes: usize,
    /// Subscriptions one connection may hold; more are rejected.
    pub max_subscriptions: usize,
    /// Commands per second one connection may send, with a burst of as many.
    pub command_rate: u32,
    /// How long an extended-protocol client may send nothing before `no_pong`; zero = off.
    pub pong_timeout: Duration,
    /// How long a session's presence outlives its last touch; a connected session that joined
    /// any touches it every half of this.
    pub presence_ttl: Duration,
    /// End the session with `token_expired` when its token's `exp` passes.
    pub disconnect_on_token_expiry: bool,
    /// `$pubsub` and Turbo subscriptions.
    pub channels: ChannelSettings,
    /// Application channels and `connect` for tokenless clients; `None` without an application.
    pub rpc: Option<Rpc>,
    /// The server's log (sessions' ends, refusals, failed application calls).
    pub(crate) log: Log,
}
