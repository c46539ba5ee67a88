//! The anycable-rs core: everything an AnyCable-compatible server and its token issuers need,
//! with no knowledge of Node.js. The napi layer in the root crate only converts values and delegates here.

pub mod broadcast;
pub mod channels;
pub mod config;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod hub;
pub mod identity;
mod json_object;
pub mod keys;
pub mod option_range;
mod outbox;
pub mod protocol;
pub mod rpc;
mod secret;
pub mod server;
pub mod session;
pub mod streams;
pub mod token;

pub use broadcast::{Publication, PublicationError};
pub use config::{Config, ConfigError};
pub use keys::{broadcast_key, rpc_key, secrets_match};
pub use secret::EmptySecret;
pub use server::{CableServer, ServerError, ServerStats};
pub use streams::StreamSigner;
pub use token::{
    Algorithm, Identificator, Invalid, IssueError, TokenError, Ttl, TtlError, MAX_TOKEN_LEN,
};
