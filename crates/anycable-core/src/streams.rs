//! Signed stream names: Rails `MessageVerifier` (SHA256 digest, JSON serializer), the scheme
//! `turbo-rails` and AnyCable's `$pubsub` channel use, so a browser can only stream from names
//! the application signed.

use base64_simd::{Base64, STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::secret::EmptySecret;

/// Names are signed as base64 with padding (Ruby's `strict_encode64`), but Ruby SDKs also sign with
/// the URL-safe alphabet; verification takes either, with or without padding.
const ACCEPTED_ENCODINGS: [Base64; 4] = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD];

const SEPARATOR: &str = "--";

/// Signs and verifies stream names with one streams secret, keyed once.
#[derive(Clone)]
pub struct StreamSigner {
    keyed: Hmac<Sha256>,
}

impl StreamSigner {
    pub fn new(secret: &[u8]) -> Result<StreamSigner, EmptySecret> {
        if secret.is_empty() {
            return Err(EmptySecret);
        }
        Ok(StreamSigner {
            keyed: Hmac::new_from_slice(secret).expect("HMAC takes any key length"),
        })
    }

    /// `base64(JSON(name)) + "--" + hex(HMAC_SHA256(secret, base64 text))`.
    pub fn sign(&self, name: &str) -> String {
        let json = serde_json::to_string(name).expect("a string always serialises");
        let encoded = STANDARD.encode_to_string(json);
        let digest = hex::encode(self.digest(encoded.as_bytes()).finalize().into_bytes());
        format!("{encoded}{SEPARATOR}{digest}")
    }

    /// The stream name, if `signed` carries a valid signature over a JSON string.
    pub fn verify(&self, signed: &str) -> Option<String> {
        // The digest is hex and never contains the separator; the data may (URL-safe base64).
        let (encoded, digest) = signed.rsplit_once(SEPARATOR)?;
        // Only the canonical lower-case hex that `sign` (and Rails) write: hex decoding alone also
        // takes upper case, which would let one stream be subscribed under two identifiers. The
        // check reads the client's text, not the secret digest, so it need not be constant-time.
        if !is_lower_hex(digest) {
            return None;
        }
        let digest = hex::decode(digest).ok()?;
        // verify_slice compares in constant time.
        self.digest(encoded.as_bytes()).verify_slice(&digest).ok()?;
        let json = ACCEPTED_ENCODINGS
            .iter()
            .find_map(|encoding| encoding.decode_to_vec(encoded).ok())?;
        serde_json::from_slice::<String>(&json).ok()
    }

    fn digest(&self, data: &[u8]) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        mac.update(data);
        mac
    }
}

fn is_lower_hex(text: &str) -> bool {
    text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;
    // The base64 crate, independent of the encoder under test.
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};
    use base64::Engine;

    fn signer() -> StreamSigner {
        StreamSigner::new(b"s3cr3t").unwrap()
    }

    /// An independent signature: what Ruby's MessageVerifier produces, computed with openssl:
    /// printf '"chat/42"' | base64 -> ImNoYXQvNDIi
    /// printf ImNoYXQvNDIi | openssl dgst -sha256 -hmac s3cr3t
    const RAILS_SIGNED: &str =
        "ImNoYXQvNDIi--ed3f0927d13c0c59af99f3ef776af196ea44ff640ab15cf8cf347532daed0c5f";

    #[test]
    fn signs_like_rails() {
        assert_eq!(signer().sign("chat/42"), RAILS_SIGNED);
        assert_eq!(signer().verify(RAILS_SIGNED).as_deref(), Some("chat/42"));
    }

    #[test]
    fn round_trips_any_name() {
        for name in [
            "",
            "a",
            "chat/42",
            "ünïcødé ✓",
            "quote\"and\\slash",
            "a--b",
            "x".repeat(500).as_str(),
        ] {
            assert_eq!(signer().verify(&signer().sign(name)).as_deref(), Some(name));
        }
    }

    #[test]
    fn accepts_url_safe_base64_signed_by_ruby_sdks() {
        // '"??>"' encodes to characters that differ between the two alphabets.
        let json = "\"??>>\"";
        let encoded = URL_SAFE.encode(json);
        assert_ne!(encoded, STANDARD.encode(json));
        let digest = hex::encode(signer().digest(encoded.as_bytes()).finalize().into_bytes());
        let signed = format!("{encoded}--{digest}");
        assert_eq!(signer().verify(&signed).as_deref(), Some("??>>"));
    }

    #[test]
    fn rejects_forgeries() {
        let signed = signer().sign("chat/42");
        let other = StreamSigner::new(b"other").unwrap();
        assert_eq!(other.verify(&signed), None, "wrong secret");
        let (data, digest) = signed.split_once("--").unwrap();
        assert_eq!(signer().verify(data), None, "no digest");
        assert_eq!(
            signer().verify(&format!("{data}--{}", &digest[1..])),
            None,
            "short digest"
        );
        assert_eq!(
            signer().verify(&format!("{data}x--{digest}")),
            None,
            "data changed"
        );
        let mut flipped = digest.to_string();
        flipped.replace_range(0..1, if digest.starts_with('0') { "1" } else { "0" });
        assert_eq!(
            signer().verify(&format!("{data}--{flipped}")),
            None,
            "digest changed"
        );
        assert_eq!(signer().verify("chat/42"), None, "unsigned");
        assert_eq!(signer().verify(""), None);
    }

    #[test]
    fn accepts_only_the_canonical_lower_case_digest() {
        let signed = signer().sign("chat/42");
        let (data, digest) = signed.split_once("--").unwrap();
        assert!(
            digest.bytes().any(|b| b.is_ascii_alphabetic()),
            "a digest with letters"
        );
        for variant in [digest.to_uppercase(), mixed_case(digest)] {
            assert_eq!(
                signer().verify(&format!("{data}--{variant}")),
                None,
                "{variant}"
            );
        }
        assert_eq!(signer().verify(&signed).as_deref(), Some("chat/42"));
    }

    /// Upper-cases only the first letter of `digest`.
    fn mixed_case(digest: &str) -> String {
        let at = digest.find(|c: char| c.is_ascii_alphabetic()).unwrap();
        let mut mixed = digest.to_owned();
        mixed.replace_range(at..=at, &digest[at..=at].to_uppercase());
        mixed
    }

    #[test]
    fn rejects_signed_values_that_are_not_json_strings() {
        let encoded = STANDARD.encode("42");
        let digest = hex::encode(signer().digest(encoded.as_bytes()).finalize().into_bytes());
        assert_eq!(signer().verify(&format!("{encoded}--{digest}")), None);
    }

    #[test]
    fn refuses_an_empty_secret() {
        assert!(StreamSigner::new(b"").is_err());
    }
}
