use std::mem::MaybeUninit;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64_simd::{Out, URL_SAFE_NO_PAD};
use serde::Deserialize;

use super::claims::{IssuedClaims, ReceivedClaims};
use super::clock::unix_now;
use super::hmac_keys::HmacKeys;
use super::jose::AlgorithmList;
use super::{Algorithm, Invalid, IssueError, TokenError, Ttl};
use crate::json_object::Object;
use crate::secret::EmptySecret;

/// Tokens longer than this are refused before any parsing: no real identifiers need more,
/// and it bounds the work an attacker can cause.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// Issues and verifies AnyCable identification tokens for one secret.
///
/// Generated tokens are `{"alg":<algorithm>}` + `{"ext":<identifiers JSON>,"exp","iat"}`, byte for
/// byte what `@anycable/serverless-js` makes. Verification follows AnyCable's rules (accepts
/// HS256, HS384 and HS512 whatever the issuing algorithm, checks the signature before any claim,
/// and returns the `ext` string), or jose's (see [`JoseRules`](super::JoseRules)).
#[derive(Clone)]
pub struct Identificator {
    keys: HmacKeys,
    ttl: Ttl,
    algorithm: Algorithm,
    /// The encoded header for `algorithm`, with its trailing dot, prepared once.
    header_prefix: String,
}

/// The headers common producers emit (PyJWT with `typ`; this package, jose and ruby-jwt
/// without), encoded, so most tokens skip decoding and parsing their header.
fn known_headers() -> Vec<(String, Algorithm)> {
    Algorithm::ALL
        .into_iter()
        .flat_map(|alg| {
            [
                format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#),
                format!(r#"{{"alg":"{alg}"}}"#),
            ]
            .map(|json| (URL_SAFE_NO_PAD.encode_to_string(json), alg))
        })
        .collect()
}

static KNOWN_HEADERS: std::sync::LazyLock<Vec<(String, Algorithm)>> =
    std::sync::LazyLock::new(known_headers);

/// What a valid token says: who connected, and until when the token is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VerifiedToken {
    /// The `ext` claim: the connection identifiers (JSON).
    pub identifiers: String,
    /// The `exp` claim; `None` without one (or one too far ahead for the clock to represent).
    pub expires_at: Option<SystemTime>,
}

#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow)]
    alg: Option<&'a str>,
    /// Extensions a verifier must understand or refuse the token (RFC 7515 §4.1.11); `null` is
    /// kept (as `Some(Null)`) because it is a malformed `crit`, not an absent one.
    #[serde(default, deserialize_with = "present")]
    crit: Option<serde_json::Value>,
    /// RFC 7797's payload encoding, read only when `crit` names it.
    #[serde(default, deserialize_with = "present")]
    b64: Option<serde_json::Value>,
}

/// A member's value, `null` included; only an absent member is `None`.
fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(deserializer).map(Some)
}

impl Header<'_> {
    /// Refuses a `crit` naming an extension this verifier does not implement, in jose's order and
    /// with its verdicts: the only extension understood is `b64` with its default value (`true`,
    /// a base64url payload).
    fn check_critical(&self) -> Result<(), Invalid> {
        use serde_json::Value;
        let Some(crit) = &self.crit else {
            return Ok(());
        };
        let names = match crit {
            Value::Array(names) if !names.is_empty() => names,
            _ => return Err(Invalid::Malformed),
        };
        if !names
            .iter()
            .all(|name| name.as_str().is_some_and(|name| !name.is_empty()))
        {
            return Err(Invalid::Malformed);
        }
        for name in names {
            if name != "b64" {
                return Err(Invalid::UnknownCritical);
            }
            if self.b64.is_none() {
                return Err(Invalid::Malformed);
            }
        }
        match self.b64 {
            Some(Value::Bool(true)) => Ok(()),
            Some(Value::Bool(false)) => Err(Invalid::UnknownCritical),
            _ => Err(Invalid::Malformed),
        }
    }
}

impl Identificator {
    /// `secret` must not be empty (an empty HMAC key lets anyone forge tokens).
    pub fn new(
        secret: &[u8],
        ttl: Ttl,
        algorithm: Algorithm,
    ) -> Result<Identificator, EmptySecret> {
        if secret.is_empty() {
            return Err(EmptySecret);
        }
        let header = format!(r#"{{"alg":"{algorithm}"}}"#);
        Ok(Identificator {
            keys: HmacKeys::new(secret),
            ttl,
            algorithm,
            header_prefix: format!("{}.", URL_SAFE_NO_PAD.encode_to_string(header)),
        })
    }

    pub fn ttl(&self) -> Ttl {
        self.ttl
    }

    /// A token for `identifiers` (a JSON text, stored as the `ext` string) expiring `ttl` from now.
    /// Unchecked, for tests and benchmarks; what issues tokens for callers uses [`Self::issue`].
    pub fn generate(&self, identifiers: &str) -> String {
        let now = unix_now();
        self.generate_with(identifiers, now, now + self.ttl.seconds())
    }

    /// A token issued now for callers: expiring after the ttl, or at `expires_at` (seconds since
    /// the epoch, fractions rounded down; a past time gives an already expired token, as tests
    /// of expiry want). Refuses an `expires_at` beyond what a ttl may reach and a token longer
    /// than [`MAX_TOKEN_LEN`], which no verifier would accept.
    pub fn issue(&self, identifiers: &str, expires_at: Option<f64>) -> Result<String, IssueError> {
        let now = unix_now();
        let exp = match expires_at {
            None => now + self.ttl.seconds(),
            Some(seconds) => {
                let latest = now + Ttl::LONGEST.seconds();
                // NaN and infinities fail the range too.
                if !(0.0..=latest as f64).contains(&seconds) {
                    return Err(IssueError::ExpiresAt { seconds, latest });
                }
                seconds as u64
            }
        };
        let token = self.generate_with(identifiers, now, exp);
        if token.len() > MAX_TOKEN_LEN {
            return Err(IssueError::TooLong { len: token.len() });
        }
        Ok(token)
    }

    /// A token issued at `iat` and expiring at `exp` (both seconds since the epoch).
    pub fn generate_with(&self, identifiers: &str, iat: u64, exp: u64) -> String {
        let claims = IssuedClaims {
            ext: identifiers,
            exp,
            iat,
        };
        let payload =
            serde_json::to_vec(&claims).expect("claims of strings and integers always serialise");
        let mut token =
            String::with_capacity(self.header_prefix.len() + payload.len() * 4 / 3 + 90);
        token.push_str(&self.header_prefix);
        URL_SAFE_NO_PAD.encode_append(payload, &mut token);
        let signature = self.keys.sign(self.algorithm, token.as_bytes());
        token.push('.');
        URL_SAFE_NO_PAD.encode_append(signature, &mut token);
        token
    }

    /// The identifiers (`ext`) of a valid token.
    pub fn verify(&self, token: &str) -> Result<String, TokenError> {
        self.verify_at(token, unix_now() as f64)
    }

    /// As `verify`, with the token's expiry too, for sessions that end when it passes.
    pub(crate) fn verify_expiring(&self, token: &str) -> Result<VerifiedToken, TokenError> {
        self.verify_token(token, unix_now() as f64, String::new())
    }

    /// As `verify`, decoding the identifiers into `buffer`'s allocation, so a caller verifying
    /// many tokens can hand the returned string back and allocate once.
    pub fn verify_reusing(&self, token: &str, buffer: String) -> Result<String, TokenError> {
        self.verify_at_reusing(token, unix_now() as f64, buffer)
    }

    /// Verification as of `now` (seconds since the epoch): signature, then `exp` (expired when
    /// `now >= exp`), then `nbf`, then `ext`.
    pub fn verify_at(&self, token: &str, now: f64) -> Result<String, TokenError> {
        self.verify_at_reusing(token, now, String::new())
    }

    fn verify_at_reusing(
        &self,
        token: &str,
        now: f64,
        buffer: String,
    ) -> Result<String, TokenError> {
        self.verify_token(token, now, buffer)
            .map(|verified| verified.identifiers)
    }

    fn verify_token(
        &self,
        token: &str,
        now: f64,
        buffer: String,
    ) -> Result<VerifiedToken, TokenError> {
        let claims = self.signed_claims(token, AlgorithmList::Hmac, buffer)?;
        let exp = claims.expires_at()?;
        if let Some(exp) = exp {
            if now >= exp {
                return Err(TokenError::Expired);
            }
        }
        if let Some(nbf) = claims.not_before()? {
            if now < nbf {
                return Err(Invalid::NotYetValid.into());
            }
        }
        Ok(VerifiedToken {
            identifiers: claims.into_identifiers()?,
            expires_at: exp.and_then(system_time),
        })
    }

    /// The claims of a token whose algorithm is in `algorithms` and whose signature matches;
    /// nothing of the claims is checked yet. Refusals come in jose's order: the compact form,
    /// the header, the algorithm, the signature, then the claims' JSON.
    pub(super) fn signed_claims(
        &self,
        token: &str,
        algorithms: AlgorithmList,
        buffer: String,
    ) -> Result<ReceivedClaims, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(Invalid::TooLong.into());
        }
        let (header, payload, signature) = segments(token).ok_or(Invalid::Malformed)?;
        let signed = &token[..header.len() + 1 + payload.len()];
        let algorithm = algorithms.check(parse_algorithm(header)?)?;
        let mut signature_buffer = [MaybeUninit::uninit(); MAX_SIGNATURE];
        // A signature that is not base64url cannot match; jose reports it as a mismatch too.
        let signature =
            decode_into(signature, &mut signature_buffer).ok_or(Invalid::BadSignature)?;
        if !self.keys.verify(algorithm, signed.as_bytes(), signature) {
            return Err(Invalid::BadSignature.into());
        }
        Ok(decode_payload(payload, |json| {
            ReceivedClaims::parse(json, buffer)
        })?)
    }
}

/// Seconds since the epoch as a clock time; `None` before the epoch or beyond what it represents.
fn system_time(seconds: f64) -> Option<SystemTime> {
    let since_epoch = Duration::try_from_secs_f64(seconds).ok()?;
    UNIX_EPOCH.checked_add(since_epoch)
}

/// The header, payload and signature of a compact JWS: exactly three segments, as jose has it.
fn segments(token: &str) -> Option<(&str, &str, &str)> {
    let bytes = token.as_bytes();
    let first = memchr::memchr(b'.', bytes)?;
    let last = memchr::memrchr(b'.', bytes)?;
    let payload = token.get(first + 1..last)?;
    if memchr::memchr(b'.', payload.as_bytes()).is_some() {
        return None;
    }
    Some((&token[..first], payload, &token[last + 1..]))
}

/// The longest HMAC tag (HS512's).
const MAX_SIGNATURE: usize = 64;

/// Usual payloads fit this stack buffer, which spares an allocation per verify.
const STACK_PAYLOAD: usize = 512;

/// `encoded` base64url-decoded into `buffer`; `None` if it is not base64url or does not fit.
fn decode_into<'b>(encoded: &str, buffer: &'b mut [MaybeUninit<u8>]) -> Option<&'b [u8]> {
    let len = URL_SAFE_NO_PAD.decoded_length(encoded.as_bytes()).ok()?;
    if len > buffer.len() {
        return None;
    }
    let decoded = URL_SAFE_NO_PAD.decode(encoded.as_bytes(), Out::from_uninit_slice(buffer));
    decoded.ok().map(|bytes| &*bytes)
}

/// Runs `read` on the base64url-decoded `payload`; a payload that is not base64url is a bad
/// claims set (jose's `ERR_JWT_INVALID`), as it can only come signed from the key's holder.
fn decode_payload<T>(
    payload: &str,
    read: impl FnOnce(&[u8]) -> Result<T, Invalid>,
) -> Result<T, Invalid> {
    let mut buffer = [MaybeUninit::uninit(); STACK_PAYLOAD];
    if let Some(decoded) = decode_into(payload, &mut buffer) {
        return read(decoded);
    }
    let decoded = URL_SAFE_NO_PAD
        .decode_to_vec(payload)
        .map_err(|_| Invalid::MalformedClaims)?;
    read(&decoded)
}

/// The header's `alg`: `Some` HMAC algorithm, or `None` for any other name. A header that is
/// not a JSON object is malformed; one without an `alg` string is refused too, as jose has it.
fn parse_algorithm(encoded_header: &str) -> Result<Option<Algorithm>, Invalid> {
    if let Some((_, alg)) = KNOWN_HEADERS
        .iter()
        .find(|(known, _)| known == encoded_header)
    {
        return Ok(Some(*alg));
    }
    let json = URL_SAFE_NO_PAD
        .decode_to_vec(encoded_header)
        .map_err(|_| Invalid::Malformed)?;
    let Object(header): Object<Header> =
        serde_json::from_slice(&json).map_err(|_| Invalid::Malformed)?;
    // jose checks `crit` before `alg`, so the same token gets the same code.
    header.check_critical()?;
    match header.alg {
        None | Some("") => Err(Invalid::MissingAlgorithm),
        Some(alg) => Ok(alg.parse().ok()),
    }
}
