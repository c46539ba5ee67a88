//! Entry points for the cargo-fuzz targets in `/fuzz`, compiled only with the `fuzzing` feature:
//! the few crate internals a target needs, without making them part of the public API.

/// How the token claims reader and serde_json disagree on a JWT payload, if they do (they must
/// not; the deliberate differences are documented in the oracle).
pub fn claims_disagreement(payload: &[u8]) -> Option<String> {
    crate::token::claims_disagreement(payload)
}

/// The client command parser and what its commands carry, for the `command` target.
pub use crate::protocol::{Command, HistoryRequest, MalformedHistory, PresenceJoin};
