use std::cell::Cell;
use std::sync::Arc;

use anycable_core::{Algorithm, Identificator, JoseRules, TokenError, Ttl, MAX_TOKEN_LEN};
use napi::bindgen_prelude::{Either, FromNapiValue, Latin1String, Null, Object, ToNapiValue};
use napi::{check_status, sys, Env, Result};
use napi_derive::napi;

use crate::bound_fn::bind;
use crate::errors::invalid_arg;
use crate::js_string::{read_string, with_bounded_string};

/// Why a token was refused, as the JS `TokenError` carries it.
#[napi(object)]
pub struct TokenFailure {
    /// The wire reason: `"token_expired"` or `"unauthorized"`.
    pub reason: String,
    /// jose's error code for the same token, such as `"ERR_JWT_EXPIRED"`.
    pub code: String,
    /// What was wrong with the token, for people.
    pub message: String,
}

impl From<TokenError> for TokenFailure {
    fn from(error: TokenError) -> Self {
        TokenFailure {
            reason: error.reason().to_string(),
            code: error.jose_code().to_string(),
            message: error.to_string(),
        }
    }
}

/// Token issuing and verification for one secret, with the HMAC keys prepared once.
/// `ttl`: seconds, or a span such as `"1h"`; `algorithm`: `HS256` (default), `HS384` or `HS512`.
///
/// Returns `{ ttl, generate(identifiersJson, expiresAt?), verify(token), verifyMaxAge(token),
/// verifyHs256(token) }`: functions that own the identificator. `verify` applies AnyCable's rules;
/// the other two jose's as `@anycable/serverless-js`'s `verify` (maximum age = ttl, any HMAC
/// algorithm) and `verifyAndFetch` (HS256 only) call it, and give `null` for a valid token
/// without a string `ext`. Calling them costs ~150 ns less than a `#[napi]` function looking up an
/// `External` handle (and ~300 ns less than a class method), measured on this machine; see
/// `bound_fn` for what they skip per call.
#[napi(
    catch_unwind,
    ts_return_type = "{ ttl: number, generate(identifiers: string, expiresAt?: number): string, verify(token: string): string | TokenFailure, verifyMaxAge(token: string): string | null | TokenFailure, verifyHs256(token: string): string | null | TokenFailure }"
)]
pub fn create_identificator<'env>(
    env: &'env Env,
    secret: String,
    ttl: Either<f64, String>,
    algorithm: Option<String>,
) -> Result<Object<'env>> {
    let identificator = Arc::new(build_identificator(&secret, ttl, algorithm)?);

    let mut bound = Object::new(env)?;
    bound.set("ttl", identificator.ttl().seconds() as f64)?;
    bound.set(
        "generate",
        bind(env, "generate", Arc::clone(&identificator), generate_call)?,
    )?;
    let max_age = JoseRules::max_age(identificator.ttl());
    for (name, rules) in [
        ("verifyMaxAge", max_age),
        ("verifyHs256", JoseRules::HS256_ONLY),
    ] {
        let verifier = JoseVerifier {
            verifier: Verifier::new(Arc::clone(&identificator)),
            rules,
        };
        bound.set(name, bind(env, name, verifier, jose_verify_call)?)?;
    }
    let verifier = Verifier::new(identificator);
    bound.set("verify", bind(env, "verify", verifier, verify_call)?)?;
    Ok(bound)
}

/// The identificator for `secret`, `ttl` (seconds or a span) and `algorithm` (default HS256).
pub(crate) fn build_identificator(
    secret: &str,
    ttl: Either<f64, String>,
    algorithm: Option<String>,
) -> Result<Identificator> {
    let ttl = match ttl {
        Either::A(seconds) => Ttl::from_seconds(seconds),
        Either::B(span) => Ttl::parse(&span),
    }
    .map_err(invalid_arg)?;
    let algorithm = match algorithm {
        None => Algorithm::default(),
        Some(name) => name.parse().map_err(|_| {
            invalid_arg(format!(
                "algorithm must be HS256, HS384 or HS512, got {name:?}"
            ))
        })?,
    };
    Identificator::new(secret.as_bytes(), ttl, algorithm).map_err(invalid_arg)
}

fn generate_call(
    identificator: &Arc<Identificator>,
    env: sys::napi_env,
    [identifiers, expires_at]: [sys::napi_value; 2],
) -> Result<sys::napi_value> {
    let identifiers = read_string(env, identifiers)?;
    // SAFETY: `env` and `expires_at` are the live env and an argument of the current JS call.
    let expires_at = unsafe { Option::<f64>::from_napi_value(env, expires_at) }?;
    let token = generate(identificator, &identifiers, expires_at)?;
    // SAFETY: `env` is the live env of the current JS call.
    unsafe { Latin1String::to_napi_value(env, token) }
}

/// Reading one unit past the longest token lets the core see an over-long token as too long.
const TOKEN_READ_LIMIT: usize = MAX_TOKEN_LEN + 2;

/// The state of a bound verify function: the identificator, and the allocation the last
/// identifiers were decoded into, reused by the next call.
struct Verifier {
    identificator: Arc<Identificator>,
    identifiers: Cell<String>,
}

impl Verifier {
    fn new(identificator: Arc<Identificator>) -> Verifier {
        Verifier {
            identificator,
            identifiers: Cell::default(),
        }
    }
}

/// A verifier by jose's rules.
struct JoseVerifier {
    verifier: Verifier,
    rules: JoseRules,
}

fn verify_call(
    verifier: &Verifier,
    env: sys::napi_env,
    [token]: [sys::napi_value; 1],
) -> Result<sys::napi_value> {
    let buffer = verifier.identifiers.take();
    let outcome = with_bounded_string::<TOKEN_READ_LIMIT, _>(env, token, |token| {
        verifier.identificator.verify_reusing(token, buffer)
    })?;
    // The ext text of a valid token, or why it was refused; never an exception for a bad token.
    match outcome {
        Ok(identifiers) => {
            let text = js_text(env, &identifiers);
            verifier.identifiers.set(identifiers);
            text
        }
        // SAFETY: `env` is the live env of the current JS call.
        Err(error) => unsafe { TokenFailure::to_napi_value(env, error.into()) },
    }
}

fn jose_verify_call(
    JoseVerifier { verifier, rules }: &JoseVerifier,
    env: sys::napi_env,
    [token]: [sys::napi_value; 1],
) -> Result<sys::napi_value> {
    let buffer = verifier.identifiers.take();
    let outcome = with_bounded_string::<TOKEN_READ_LIMIT, _>(env, token, |token| {
        verifier
            .identificator
            .verify_as_jose_reusing(token, *rules, buffer)
    })?;
    match outcome {
        Ok(Some(identifiers)) => {
            let text = js_text(env, &identifiers);
            verifier.identifiers.set(identifiers);
            text
        }
        // SAFETY: `env` is the live env of the current JS call.
        Ok(None) => unsafe { Null::to_napi_value(env, Null) },
        // SAFETY: `env` is the live env of the current JS call.
        Err(error) => unsafe { TokenFailure::to_napi_value(env, error.into()) },
    }
}

/// A JS string of `text`; ASCII, as identifiers mostly are, is copied by V8 without decoding.
fn js_text(env: sys::napi_env, text: &str) -> Result<sys::napi_value> {
    let mut value = std::ptr::null_mut();
    let (ptr, len) = (text.as_ptr().cast(), text.len() as isize);
    // SAFETY: `ptr`/`len` are a live `&str` (V8 copies it); Latin-1 is chosen only for ASCII,
    // whose bytes mean the same in Latin-1; `value` is a valid out-pointer.
    check_status!(unsafe {
        if text.is_ascii() {
            sys::napi_create_string_latin1(env, ptr, len, &mut value)
        } else {
            sys::napi_create_string_utf8(env, ptr, len, &mut value)
        }
    })?;
    Ok(value)
}

/// A token issued now; `expires_at` and an over-long token are argument errors (TypeError in JS).
pub(crate) fn generate(
    identificator: &Identificator,
    identifiers: &str,
    expires_at: Option<f64>,
) -> Result<Latin1String> {
    let token = identificator
        .issue(identifiers, expires_at)
        .map_err(invalid_arg)?;
    // Tokens are base64url and dots: ASCII, so Latin-1 is exact and the cheapest to hand back.
    Ok(Latin1String::from(token))
}
