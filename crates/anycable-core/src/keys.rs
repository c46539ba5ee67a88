//! Keys AnyCable derives from the common secret, so one secret configures everything.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// `hex(HMAC_SHA256(secret, purpose))`, AnyCable's key derivation.
fn derive(secret: &[u8], purpose: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(purpose.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The bearer key for HTTP broadcasts (`POST /_broadcast`) derived from the common secret.
pub fn broadcast_key(secret: &[u8]) -> String {
    derive(secret, "broadcast-cable")
}

/// The bearer key the server sends to an RPC-over-HTTP endpoint, derived from the common secret.
pub fn rpc_key(secret: &[u8]) -> String {
    derive(secret, "rpc-cable")
}

/// Compares a presented secret with the expected one in constant time (for equal lengths).
pub fn secrets_match(presented: &[u8], expected: &[u8]) -> bool {
    presented.ct_eq(expected).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_known_keys() {
        // Independent values: printf broadcast-cable | openssl dgst -sha256 -hmac s3cr3t (and rpc-cable)
        assert_eq!(
            broadcast_key(b"s3cr3t"),
            "83149057b2f956b5f862c0ef5ad6a24d3677dc076d77e8999c24f77ca17d7a20"
        );
        assert_eq!(
            rpc_key(b"s3cr3t"),
            "4b7da2749fe2a4534cec0d2acbd16277a800cf2acd31158ac4edae4a62a8f18d"
        );
    }

    #[test]
    fn secrets_match_only_exactly() {
        assert!(secrets_match(b"abc", b"abc"));
        assert!(!secrets_match(b"abd", b"abc"));
        assert!(!secrets_match(b"ab", b"abc"));
        assert!(!secrets_match(b"", b"abc"));
    }
}
