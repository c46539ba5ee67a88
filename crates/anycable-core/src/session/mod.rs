//! One WebSocket connection. [`core`](self::core) is what the session means — how it opens, its
//! subscriptions, commands, application replies, and the frames each sends back — with no socket;
//! [`socket`] reads, writes and times (pings, throttling, write timeouts, shutdown) and carries
//! out what the core decides.

mod application;
mod broker_call;
mod budget;
mod core;
mod history;
mod pong_deadline;
mod presence;
mod resumption;
mod settings;
mod socket;
mod subscriptions;
#[cfg(test)]
mod testing;
mod token_expiry;

use std::sync::Arc;

use tokio::sync::watch;

use crate::broker::Broker;
use crate::hub::{Hub, SessionId};
use crate::identity::Verdict;
use crate::pings::Pinger;
use crate::protocol::{PingOverrides, Protocol};
use crate::rpc::Env;

pub use self::core::MAX_IDENTIFIER_BYTES;
pub(crate) use settings::SessionSettings;
pub(crate) use socket::run;

/// What a session needs from the server around it.
pub(crate) struct SessionContext {
    pub settings: Arc<SessionSettings>,
    pub hub: Arc<Hub>,
    /// History, the session cache and presence; `None` with `broker: "none"`.
    pub broker: Option<Arc<dyn Broker>>,
    /// Flips to true when the server shuts down.
    pub shutdown: watch::Receiver<bool>,
    /// Pings the sessions that need no timer of their own.
    pub pinger: Arc<Pinger>,
}

/// Who connected: the session id for the welcome frame, the auth verdict, the negotiated
/// sub-protocol, the old sid it asks to resume (`?sid=` or `X-AnyCable-Restore-Sid`), the ping
/// settings its query asked for (`?pi=`, `?ptp=`), and the request as the
/// application sees it (`env`; kept only when there is an application, boxed so that sessions
/// without one carry a pointer instead of an empty `Env`).
pub(crate) struct Peer {
    pub id: SessionId,
    pub sid: String,
    pub verdict: Verdict,
    pub protocol: Protocol,
    pub restore_sid: Option<String>,
    pub pings: PingOverrides,
    pub env: Option<Box<Env>>,
}
