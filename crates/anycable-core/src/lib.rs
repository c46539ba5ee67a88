//! The anycable-rs core: everything an AnyCable-compatible server and its token issuers need,
//! with no knowledge of Node.js. The napi layer in the root crate only converts values and delegates here.
//!
//! Modules are private; the public API is the list of re-exports below.

// Every `unsafe` block says why it holds.
#![deny(clippy::undocumented_unsafe_blocks)]
// What is not re-exported from here is internal, and says so.
#![warn(unreachable_pub)]

mod broadcast;
mod broker;
mod channels;
mod config;
mod config_error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod hub;
mod identity;
mod json_object;
mod keys;
mod log;
mod metrics;
mod option_range;
mod origin;
mod outbox;
mod pings;
mod protocol;
mod redis_link;
mod rpc;
mod secret;
mod server;
mod session;
mod start;
mod streams;
mod token;

/// The pub/sub publish queue's length.
pub use broadcast::redis::QUEUE_CAPACITY;
/// A publication (stream + data) to deliver, why one was rejected, and why one was dropped.
pub use broadcast::{Overloaded, Publication, PublicationError};
/// The server's options as given.
pub use config::Config;
/// Why an option was refused.
pub use config_error::ConfigError;
/// Key derivation from the application secret, and constant-time secret comparison.
pub use keys::{broadcast_key, rpc_key, secrets_match};
/// Logging: levels, the stderr formats and an embedder's sink.
pub use log::{Level, LogFormat, LogSink, Logger, Record};
/// A server's metrics at one moment (`CableServer::metrics`), its Prometheus text and JSON.
pub use metrics::{
    Family, FamilyValue, HistogramSnapshot, MetricsSnapshot, CONTENT_TYPE as METRICS_CONTENT_TYPE,
    PREFIX as METRICS_PREFIX,
};
/// The accepted range of a seconds-valued option (for converting and checking JS numbers).
pub use option_range::Seconds;
/// Redis's counters (in `ServerStats`).
pub use redis_link::RedisStats;
/// Application channels over RPC: the transport an embedder implements, and the body size limit.
pub use rpc::{CallFuture, Method, RpcError, Transport, MAX_RPC_RESPONSE_BYTES};
/// A secret that must not be empty was empty.
pub use secret::EmptySecret;
/// The embedded cable server, its errors and its live counters; who may broadcast over HTTP.
pub use server::{
    BroadcastAuth, CableServer, PresenceUnavailable, PresentId, ServerError, ServerStats,
    StreamPresence,
};
/// The longest channel identifier a client may subscribe with.
pub use session::MAX_IDENTIFIER_BYTES;
/// Signed stream names (`signed_stream_name`).
pub use streams::StreamSigner;
/// AnyCable JWT identification tokens: issue, verify, and their errors.
pub use token::{
    Algorithm, Identificator, Invalid, IssueError, JoseRules, TokenError, Ttl, TtlError,
    MAX_TOKEN_LEN,
};
