//! What the server reads: where it listens and what it serves there, its connection bounds, and
//! the parts it hands to authentication, sessions and Redis.

use std::sync::Arc;
use std::time::Duration;

use crate::broadcast::redis::RedisSettings;
use crate::broadcast::redisx::RedisxSettings;
use crate::broker::redis::RedisBrokerSettings;
use crate::broker::BrokerSettings;
use crate::identity::IdentitySettings;
use crate::log::Log;
use crate::origin::AllowedOrigins;
use crate::session::SessionSettings;

/// Who may broadcast over HTTP (`POST <broadcastPath>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BroadcastAuth {
    /// Requests must present this bearer key.
    Key(String),
    /// Public mode without a key: anyone may broadcast.
    Open,
    /// No key and not public: every broadcast is refused.
    Disabled,
}

/// Where the Prometheus metrics are served, when they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsEndpoint {
    pub path: String,
    /// `Some((host, port))`: on a listener of their own, unauthenticated (like the reference);
    /// `None`: on the main port, behind the broadcast key.
    pub listener: Option<(String, u16)>,
}

/// The server's settings, resolved from the options by `config`.
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    /// The WebSocket endpoint.
    pub path: String,
    pub health_path: String,
    pub broadcast_path: String,
    pub broadcast_auth: BroadcastAuth,
    /// `None`: metrics are not served (`server.metrics()` still reads them).
    pub metrics: Option<MetricsEndpoint>,
    /// How long a connection may take to finish its request or upgrade (and a broadcast body).
    pub handshake_timeout: Duration,
    /// Connections still in their request / upgrade at once; at the cap the oldest is closed.
    pub max_pending_connections: usize,
    /// WebSocket sessions at once; 0 = unlimited.
    pub max_connections: usize,
    pub max_message_size: usize,
    pub allowed_origins: AllowedOrigins,
    /// Lower-cased names of the request headers the application sees; `None` without an
    /// application (sessions then do not carry the request).
    pub application_headers: Option<Vec<String>>,
    pub identity: IdentitySettings,
    pub session: Arc<SessionSettings>,
    /// `None` when neither the `redis` broadcast adapter nor pub/sub uses Redis.
    pub redis: Option<RedisSettings>,
    /// The `redisx` broadcast adapter's stream, when it is the adapter.
    pub redisx: Option<RedisxSettings>,
    /// What the broker keeps; `None` with `broker: "none"`.
    pub broker: Option<BrokerSettings>,
    /// Where the broker keeps it, with `broker: "redis"`; `None` keeps it in memory.
    pub redis_broker: Option<RedisBrokerSettings>,
    /// Where this server's events go, and from which level.
    pub(crate) log: Log,
}
