//! The one-off token helpers' path for a configuration the JS cache does not hold: the
//! identificator lives for this call only, so nothing is left for a finalizer, which Node runs
//! only after the event loop turns (a JS object per call held ~1.5 KiB each until then).

use anycable_core::TokenError;
use napi::bindgen_prelude::{Either, Latin1String};
use napi::Result;
use napi_derive::napi;

use crate::token::{build_identificator, generate, TokenFailure};

/// A token for `identifiers` (JSON text) signed with `secret`; see `createIdentificator`.
#[napi(catch_unwind)]
pub fn generate_token_once(
    secret: String,
    ttl: Either<f64, String>,
    algorithm: Option<String>,
    identifiers: String,
    expires_at: Option<f64>,
) -> Result<Latin1String> {
    generate(
        &build_identificator(&secret, ttl, algorithm)?,
        &identifiers,
        expires_at,
    )
}

/// The `ext` text of `token` if it is valid for `secret`, or why it was refused.
#[napi(catch_unwind)]
pub fn verify_token_once(secret: String, token: String) -> Result<Either<String, TokenFailure>> {
    // The ttl and algorithm only matter for issuing.
    let identificator = build_identificator(&secret, Either::A(3600.0), None)?;
    Ok(match identificator.verify(&token) {
        Ok(identifiers) => Either::A(identifiers),
        Err(error) => Either::B(TokenError::into(error)),
    })
}
