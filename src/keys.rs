use napi::Result;
use napi_derive::napi;

use crate::errors::invalid_arg;

/// The HTTP broadcast key AnyCable derives from the common secret:
/// `hex(HMAC_SHA256(secret, "broadcast-cable"))`.
#[napi(catch_unwind)]
pub fn broadcast_key(secret: String) -> Result<String> {
    if secret.is_empty() {
        return Err(invalid_arg(anycable_core::EmptySecret));
    }
    Ok(anycable_core::broadcast_key(secret.as_bytes()))
}

/// The bearer key an AnyCable server sends to an RPC-over-HTTP endpoint:
/// `hex(HMAC_SHA256(secret, "rpc-cable"))`.
#[napi(catch_unwind)]
pub fn rpc_key(secret: String) -> Result<String> {
    if secret.is_empty() {
        return Err(invalid_arg(anycable_core::EmptySecret));
    }
    Ok(anycable_core::rpc_key(secret.as_bytes()))
}
