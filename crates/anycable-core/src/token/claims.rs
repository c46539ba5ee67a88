use serde::Serialize;

use super::error::Invalid;
use super::json_scan::{ObjectScanner, RawStr, SyntaxError, Value};

/// The claims anycable-rs writes: `ext` (identifiers as a JSON string), `exp`, `iat`, in the order
/// `@anycable/serverless-js` (jose's `SignJWT`) writes them, so tokens match it byte for byte.
#[derive(Serialize)]
pub(super) struct IssuedClaims<'a> {
    pub ext: &'a str,
    pub exp: u64,
    pub iat: u64,
}

/// The claims a verifier looks at; others are skipped. A claim of the wrong JSON type is kept
/// as such, so it becomes a precise `Invalid` reason rather than "malformed".
#[derive(Debug, PartialEq)]
pub(super) struct ReceivedClaims {
    ext: Option<Claim<String>>,
    exp: Option<Claim<f64>>,
    nbf: Option<Claim<f64>>,
    iat: Option<Claim<f64>>,
}

/// A claim of the expected JSON type, or a value of some other type.
#[derive(Debug, PartialEq)]
enum Claim<T> {
    Expected(T),
    OtherType,
}

impl ReceivedClaims {
    /// Reads the claims of a decoded payload, which must be one JSON object; a claim given twice
    /// is malformed. The `ext` text is decoded into `ext_buffer`'s allocation.
    pub(super) fn parse(payload: &[u8], ext_buffer: String) -> Result<ReceivedClaims, Invalid> {
        let text = std::str::from_utf8(payload).map_err(|_| Invalid::MalformedClaims)?;
        let mut ext_buffer = Some(ext_buffer);
        let mut claims = ReceivedClaims {
            ext: None,
            exp: None,
            nbf: None,
            iat: None,
        };
        let mut scanner = ObjectScanner::new(text);
        let mut read_members = || -> Result<(), SyntaxError> {
            while let Some(key) = scanner.next_key()? {
                match claim_name(key)? {
                    Some(Name::Ext) => {
                        let mut ext = ext_buffer.take().unwrap_or_default();
                        let claim = match scanner.value_decoding_into(&mut ext)? {
                            Value::String(_) => Claim::Expected(ext),
                            Value::Number(raw) => number(raw).map(|_| Claim::OtherType)?,
                            Value::Other => Claim::OtherType,
                        };
                        set_once(&mut claims.ext, claim)?;
                    }
                    Some(Name::Exp) => set_once(&mut claims.exp, time_value(scanner.value()?)?)?,
                    Some(Name::Nbf) => set_once(&mut claims.nbf, time_value(scanner.value()?)?)?,
                    Some(Name::Iat) => set_once(&mut claims.iat, time_value(scanner.value()?)?)?,
                    None => {
                        scanner.value()?;
                    }
                }
            }
            Ok(())
        };
        read_members().map_err(|SyntaxError| Invalid::MalformedClaims)?;
        Ok(claims)
    }

    /// `exp` in seconds, if present; an error if present but not a number.
    pub(super) fn expires_at(&self) -> Result<Option<f64>, Invalid> {
        time_claim(&self.exp, "exp")
    }

    pub(super) fn not_before(&self) -> Result<Option<f64>, Invalid> {
        time_claim(&self.nbf, "nbf")
    }

    pub(super) fn issued_at(&self) -> Result<Option<f64>, Invalid> {
        time_claim(&self.iat, "iat")
    }

    /// The identifiers: the `ext` claim, which must be a JSON string.
    pub(super) fn into_identifiers(self) -> Result<String, Invalid> {
        match self.ext {
            None => Err(Invalid::MissingExt),
            Some(Claim::OtherType) => Err(Invalid::ExtNotString),
            Some(Claim::Expected(ext)) => Ok(ext),
        }
    }

    /// The `ext` claim if it is a JSON string; `None` if absent or of another type.
    pub(super) fn into_ext_string(self) -> Option<String> {
        match self.ext {
            Some(Claim::Expected(ext)) => Some(ext),
            _ => None,
        }
    }
}

/// The claims this reader keeps.
enum Name {
    Ext,
    Exp,
    Nbf,
    Iat,
}

fn claim_name(key: RawStr) -> Result<Option<Name>, SyntaxError> {
    // Byte patterns compile to inline compares; string equality would call memcmp per claim.
    Ok(match key.decoded()?.as_bytes() {
        [b'e', b'x', b't'] => Some(Name::Ext),
        [b'e', b'x', b'p'] => Some(Name::Exp),
        [b'n', b'b', b'f'] => Some(Name::Nbf),
        [b'i', b'a', b't'] => Some(Name::Iat),
        _ => None,
    })
}

fn set_once<T>(slot: &mut Option<T>, claim: T) -> Result<(), SyntaxError> {
    if slot.is_some() {
        return Err(SyntaxError);
    }
    *slot = Some(claim);
    Ok(())
}

/// A claim's value is read as a JSON parser reads it, even where only its type matters, so a
/// string with an unpaired surrogate escape or a number out of f64 range is malformed.
fn time_value(value: Value) -> Result<Claim<f64>, SyntaxError> {
    match value {
        Value::Number(raw) => number(raw).map(Claim::Expected),
        Value::String(raw) => raw.decoded().map(|_| Claim::OtherType),
        Value::Other => Ok(Claim::OtherType),
    }
}

fn number(raw: &str) -> Result<f64, SyntaxError> {
    // Plain integers, as exp and nbf are in practice, convert exactly without the float parser.
    if raw.len() <= 15 && raw.bytes().all(|byte| byte.is_ascii_digit()) {
        let value = raw
            .bytes()
            .fold(0u64, |value, digit| value * 10 + u64::from(digit - b'0'));
        return Ok(value as f64);
    }
    match raw.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(value),
        _ => Err(SyntaxError),
    }
}

fn time_claim(claim: &Option<Claim<f64>>, name: &'static str) -> Result<Option<f64>, Invalid> {
    match claim {
        None => Ok(None),
        Some(Claim::Expected(seconds)) => Ok(Some(*seconds)),
        Some(Claim::OtherType) => Err(Invalid::BadTimeClaim(name)),
    }
}

#[cfg(any(test, feature = "fuzzing"))]
#[path = "claims_oracle.rs"]
pub(super) mod oracle;

#[cfg(test)]
#[path = "claims_tests.rs"]
mod tests;
