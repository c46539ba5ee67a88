use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::error::Invalid;

/// The claims anycable-rs writes: `ext` (identifiers as a JSON string), `iat`, `exp`.
#[derive(Serialize)]
pub(super) struct IssuedClaims<'a> {
    pub ext: &'a str,
    pub iat: u64,
    pub exp: u64,
}

/// The claims a verifier looks at, borrowed from the decoded payload. Other claims are ignored;
/// `exp` and `nbf` stay raw so a non-numeric value is reported rather than silently skipped.
#[derive(Deserialize)]
pub(super) struct ReceivedClaims<'a> {
    #[serde(borrow, default)]
    ext: Option<&'a RawValue>,
    #[serde(borrow, default)]
    exp: Option<&'a RawValue>,
    #[serde(borrow, default)]
    nbf: Option<&'a RawValue>,
}

impl ReceivedClaims<'_> {
    /// `exp` in seconds, if present; an error if present but not a number.
    pub fn expires_at(&self) -> Result<Option<f64>, Invalid> {
        time_claim(self.exp)
    }

    pub fn not_before(&self) -> Result<Option<f64>, Invalid> {
        time_claim(self.nbf)
    }

    /// The identifiers: the `ext` claim, which must be a JSON string.
    pub fn identifiers(&self) -> Result<String, Invalid> {
        let raw = self.ext.ok_or(Invalid::MissingExt)?;
        if !raw.get().starts_with('"') {
            return Err(Invalid::ExtNotString);
        }
        serde_json::from_str(raw.get()).map_err(|_| Invalid::Malformed)
    }
}

fn time_claim(raw: Option<&RawValue>) -> Result<Option<f64>, Invalid> {
    match raw {
        None => Ok(None),
        Some(raw) => serde_json::from_str(raw.get())
            .map(Some)
            .map_err(|_| Invalid::BadTimeClaim),
    }
}
