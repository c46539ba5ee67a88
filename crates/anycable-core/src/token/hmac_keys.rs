use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha384, Sha512};

use super::Algorithm;

/// One secret keyed once for each HMAC algorithm. Keying hashes the padded secret; doing it
/// here, once per identificator, leaves only the message to hash per token.
#[derive(Clone)]
pub(super) struct HmacKeys {
    hs256: Hmac<Sha256>,
    hs384: Hmac<Sha384>,
    hs512: Hmac<Sha512>,
}

impl HmacKeys {
    pub fn new(secret: &[u8]) -> HmacKeys {
        // HMAC accepts keys of any length, so these cannot fail.
        HmacKeys {
            hs256: Hmac::new_from_slice(secret).expect("HMAC takes any key length"),
            hs384: Hmac::new_from_slice(secret).expect("HMAC takes any key length"),
            hs512: Hmac::new_from_slice(secret).expect("HMAC takes any key length"),
        }
    }

    pub fn sign(&self, algorithm: Algorithm, message: &[u8]) -> Vec<u8> {
        match algorithm {
            Algorithm::HS256 => tag(&self.hs256, message),
            Algorithm::HS384 => tag(&self.hs384, message),
            Algorithm::HS512 => tag(&self.hs512, message),
        }
    }

    /// Constant-time comparison of `signature` with the tag of `message`.
    pub fn verify(&self, algorithm: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        match algorithm {
            Algorithm::HS256 => matches(&self.hs256, message, signature),
            Algorithm::HS384 => matches(&self.hs384, message, signature),
            Algorithm::HS512 => matches(&self.hs512, message, signature),
        }
    }
}

fn tag<M: Mac + Clone>(keyed: &M, message: &[u8]) -> Vec<u8> {
    let mut mac = keyed.clone();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

fn matches<M: Mac + Clone>(keyed: &M, message: &[u8], signature: &[u8]) -> bool {
    let mut mac = keyed.clone();
    mac.update(message);
    mac.verify_slice(signature).is_ok()
}
