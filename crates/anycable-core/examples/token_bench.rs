//! Per-call cost of verifying and generating one AnyCable token in the core, beside the
//! `jsonwebtoken` crate doing the same job: `cargo run --release --example token_bench`.

use std::hint::black_box;
use std::time::Instant;

use anycable_core::{Algorithm, Identificator, Ttl};
use jsonwebtoken::{decode, encode, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

const ROUNDS: usize = 7;
const CALLS: u32 = 200_000;

#[derive(Serialize, Deserialize)]
struct Claims {
    ext: String,
    iat: u64,
    exp: u64,
}

/// Median nanoseconds per call over ROUNDS rounds of CALLS calls.
fn ns_per_call(mut call: impl FnMut()) -> f64 {
    let mut rounds: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..CALLS {
                call();
            }
            start.elapsed().as_nanos() as f64 / CALLS as f64
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[ROUNDS / 2]
}

fn main() {
    let secret = b"bench-secret-0123456789abcdef";
    let ids = r#"{"user_id":4242,"account":"acme","role":"member"}"#;
    let ours =
        Identificator::new(secret, Ttl::from_seconds(3600.0).unwrap(), Algorithm::HS256).unwrap();
    let token = ours.generate(ids);

    let encoding_key = EncodingKey::from_secret(secret);
    let decoding_key = DecodingKey::from_secret(secret);
    let mut validation = Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.leeway = 0;
    let header = Header::new(jsonwebtoken::Algorithm::HS256);
    let claims = Claims {
        ext: ids.to_string(),
        iat: 1_800_000_000,
        exp: 1_800_003_600,
    };

    let rows = [
        (
            "anycable-core verify",
            ns_per_call(|| {
                black_box(ours.verify(black_box(&token)).unwrap());
            }),
        ),
        (
            "jsonwebtoken decode",
            ns_per_call(|| {
                black_box(
                    decode::<Claims>(black_box(&token), &decoding_key, &validation)
                        .unwrap()
                        .claims
                        .ext,
                );
            }),
        ),
        (
            "anycable-core generate",
            ns_per_call(|| {
                black_box(ours.generate(black_box(ids)));
            }),
        ),
        (
            "jsonwebtoken encode",
            ns_per_call(|| {
                black_box(encode(&header, black_box(&claims), &encoding_key).unwrap());
            }),
        ),
    ];
    println!("| operation | ns per call (median of {ROUNDS} × {CALLS}) |\n|---|---:|");
    for (name, ns) in rows {
        println!("| {name} | {ns:.0} |");
    }
}
