use anycable_core::StreamSigner;
use napi::Result;
use napi_derive::napi;

use crate::errors::invalid_arg;

fn signer(secret: &str) -> Result<StreamSigner> {
    StreamSigner::new(secret.as_bytes()).map_err(invalid_arg)
}

/// Signs a stream name for the `$pubsub` channel (Rails `MessageVerifier`, SHA256, JSON).
#[napi(catch_unwind)]
pub fn sign_stream(name: String, secret: String) -> Result<String> {
    Ok(signer(&secret)?.sign(&name))
}

/// The stream name inside a signed name, or `null` if the signature does not match.
#[napi(catch_unwind)]
pub fn verify_stream(signed: String, secret: String) -> Result<Option<String>> {
    Ok(signer(&secret)?.verify(&signed))
}
