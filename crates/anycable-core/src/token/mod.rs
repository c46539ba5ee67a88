//! AnyCable JWT identification: tokens whose `ext` claim carries the connection identifiers
//! as a JSON string, signed with HMAC (HS256/HS384/HS512).

mod algorithm;
mod claims;
mod clock;
mod error;
mod hmac_keys;
mod identificator;
mod issue_error;
mod jose;
mod json_scan;
mod ttl;

pub use algorithm::Algorithm;
pub use error::{Invalid, TokenError};
pub use identificator::{Identificator, MAX_TOKEN_LEN};
pub use issue_error::IssueError;
pub use jose::JoseRules;
pub use ttl::{Ttl, TtlError};

/// The claims reader against serde_json, for the `token` fuzz target.
#[cfg(feature = "fuzzing")]
pub(crate) use claims::oracle::disagreement as claims_disagreement;

#[cfg(test)]
mod jose_tests;
#[cfg(test)]
mod tests;
