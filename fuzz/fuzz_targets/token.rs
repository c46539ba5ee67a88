//! The token reader: the claims of arbitrary payloads cross-checked against serde_json, and full
//! verification of arbitrary tokens and of arbitrary payloads signed with the right key (so the
//! fuzzer gets past the signature check). Input: a JWT payload, or `header JSON \0 payload`.

#![no_main]

use std::sync::LazyLock;

use anycable_core::fuzzing::claims_disagreement;
use anycable_core::{Algorithm, Identificator, JoseRules, Ttl};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use sha2::Sha256;

const SECRET: &[u8] = b"fuzzing-secret";

/// A fixed "now" inside the seed tokens' lifetime, so verdicts do not change with the clock.
const NOW: f64 = 1_800_000_000.0;

const HS256_HEADER: &[u8] = br#"{"alg":"HS256","typ":"JWT"}"#;

static IDENTIFICATOR: LazyLock<Identificator> = LazyLock::new(|| {
    let ttl = Ttl::from_seconds(3600.0).expect("valid ttl");
    Identificator::new(SECRET, ttl, Algorithm::HS256).expect("secret is not empty")
});

/// What serde_json reads from an accepted token. Derived structs rather than `Value`: serde_json
/// skips other members without checking them as strictly (numbers out of range, lone
/// surrogates), as the claims reader does.
#[derive(Deserialize)]
struct Header {
    alg: String,
}

#[derive(Deserialize)]
struct Claims {
    ext: String,
}

fuzz_target!(|input: &[u8]| {
    let (header, payload) = match input.iter().position(|&byte| byte == 0) {
        Some(at) => (&input[..at], &input[at + 1..]),
        None => (HS256_HEADER, input),
    };
    if let Some(disagreement) = claims_disagreement(payload) {
        panic!("{disagreement}");
    }

    // Arbitrary bytes as a token: refused or accepted, never a panic, by either rules.
    if let Ok(token) = std::str::from_utf8(input) {
        let _ = IDENTIFICATOR.verify_at(token, NOW);
        verify_as_serverless_js(token);
    }

    let token = signed(header, payload);
    verify_as_serverless_js(&token);
    if let Ok(identifiers) = IDENTIFICATOR.verify_at(&token, NOW) {
        // Accepted: the header is an object naming the algorithm it was signed with, and the
        // identifiers are the payload's `ext`.
        let shown = String::from_utf8_lossy(header);
        assert!(
            shown.trim_start().starts_with('{'),
            "accepted the header {shown:?}"
        );
        let header: Header = serde_json::from_slice(header).expect("an accepted header is JSON");
        assert_eq!(header.alg, "HS256", "accepted the header {shown:?}");
        let claims: Claims = serde_json::from_slice(payload).expect("an accepted payload is JSON");
        assert_eq!(claims.ext, identifiers, "identifiers other than the ext");
    }
});

/// jose's rules as serverless-js's `verify` and `verifyAndFetch` apply them: never a panic.
fn verify_as_serverless_js(token: &str) {
    for rules in [
        JoseRules::max_age(IDENTIFICATOR.ttl()),
        JoseRules::HS256_ONLY,
    ] {
        let _ = IDENTIFICATOR.verify_as_jose_at(token, rules, NOW, String::new());
    }
}

/// A compact JWS of `header` and `payload` with a valid HS256 signature.
fn signed(header: &[u8], payload: &[u8]) -> String {
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET).expect("any key length");
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}
