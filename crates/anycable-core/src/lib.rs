//! The anycable-rs core: everything an AnyCable-compatible server and its token issuers need,
//! with no knowledge of Node.js. The napi layer in the root crate only converts values and delegates here.

pub mod keys;
mod secret;
pub mod streams;
pub mod token;

pub use keys::{broadcast_key, rpc_key, secrets_match};
pub use secret::EmptySecret;
pub use streams::StreamSigner;
pub use token::{Algorithm, Identificator, Invalid, TokenError, Ttl, TtlError};
