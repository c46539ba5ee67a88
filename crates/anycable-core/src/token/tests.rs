//! Identificator behaviour, cross-checked against the independent `jsonwebtoken` crate.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{decode, encode, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{json, Value};
use std::time::{Duration, UNIX_EPOCH};

use super::clock::unix_now;
use super::identificator::VerifiedToken;
use super::*;

const SECRET: &[u8] = b"s3cr3t";
const IDS: &str = r#"{"user_id":42,"name":"Ann \"the\" ✓"}"#;
const NOW: u64 = 1_800_000_000;

fn identificator(algorithm: Algorithm) -> Identificator {
    Identificator::new(SECRET, Ttl::from_seconds(3600.0).unwrap(), algorithm).unwrap()
}

fn hs256() -> Identificator {
    identificator(Algorithm::HS256)
}

/// A token made by jsonwebtoken with arbitrary claims.
fn foreign(alg: jsonwebtoken::Algorithm, claims: Value, secret: &[u8]) -> String {
    encode(
        &Header::new(alg),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

fn verify_now(token: &str) -> Result<String, TokenError> {
    hs256().verify_at(token, NOW as f64)
}

#[test]
fn generated_tokens_verify_in_jsonwebtoken_with_the_anycable_claims() {
    for (ours, theirs) in [
        (Algorithm::HS256, jsonwebtoken::Algorithm::HS256),
        (Algorithm::HS384, jsonwebtoken::Algorithm::HS384),
        (Algorithm::HS512, jsonwebtoken::Algorithm::HS512),
    ] {
        let token = identificator(ours).generate(IDS);
        let mut validation = Validation::new(theirs);
        validation.leeway = 0;
        let data = decode::<Value>(&token, &DecodingKey::from_secret(SECRET), &validation).unwrap();
        assert_eq!(data.header.alg, theirs);
        let claims = data.claims;
        assert_eq!(claims["ext"], IDS);
        let iat = claims["iat"].as_u64().unwrap();
        assert_eq!(claims["exp"].as_u64().unwrap(), iat + 3600);
        assert!(iat.abs_diff(unix_now()) <= 1);
    }
}

#[test]
fn verifies_tokens_from_jsonwebtoken_in_every_hmac_algorithm() {
    for alg in [
        jsonwebtoken::Algorithm::HS256,
        jsonwebtoken::Algorithm::HS384,
        jsonwebtoken::Algorithm::HS512,
    ] {
        let token = foreign(alg, json!({"ext": IDS, "exp": NOW + 1}), SECRET);
        assert_eq!(verify_now(&token).as_deref(), Ok(IDS), "{alg:?}");
    }
}

#[test]
fn round_trips_its_own_tokens() {
    let token = hs256().generate_with(IDS, NOW, NOW + 60);
    assert_eq!(verify_now(&token).as_deref(), Ok(IDS));
    assert_eq!(hs256().verify(&hs256().generate(IDS)).as_deref(), Ok(IDS));
}

#[test]
fn verify_reusing_decodes_into_the_given_allocation() {
    let ours = hs256();
    let token = ours.generate(IDS);
    let mut buffer = String::with_capacity(256);
    buffer.push_str("left over from another token");
    let allocation = buffer.as_ptr();
    let identifiers = ours.verify_reusing(&token, buffer).unwrap();
    assert_eq!(identifiers, IDS);
    assert_eq!(identifiers.as_ptr(), allocation);
    assert_eq!(
        ours.verify_reusing("not.a.token", identifiers),
        Err(TokenError::Unauthorized(Invalid::Malformed))
    );
}

#[test]
fn verify_expiring_tells_when_the_token_expires() {
    let now = unix_now();
    let expiring = hs256().generate_with(IDS, now, now + 60);
    assert_eq!(
        hs256().verify_expiring(&expiring),
        Ok(VerifiedToken {
            identifiers: IDS.into(),
            expires_at: Some(UNIX_EPOCH + Duration::from_secs(now + 60)),
        })
    );
    let fractional = foreign(
        jsonwebtoken::Algorithm::HS256,
        json!({"ext": IDS, "exp": now as f64 + 60.5}),
        SECRET,
    );
    assert_eq!(
        hs256().verify_expiring(&fractional).unwrap().expires_at,
        Some(UNIX_EPOCH + Duration::from_secs_f64(now as f64 + 60.5))
    );
    for never in [json!({"ext": IDS}), json!({"ext": IDS, "exp": 1e300})] {
        let token = foreign(jsonwebtoken::Algorithm::HS256, never.clone(), SECRET);
        assert_eq!(
            hs256().verify_expiring(&token),
            Ok(VerifiedToken {
                identifiers: IDS.into(),
                expires_at: None,
            }),
            "{never}"
        );
    }
    let expired = hs256().generate_with(IDS, now - 60, now - 1);
    assert_eq!(hs256().verify_expiring(&expired), Err(TokenError::Expired));
}

#[test]
fn expiry_is_zero_leeway_and_now_equal_to_exp_is_expired() {
    let token = hs256().generate_with(IDS, NOW - 60, NOW);
    assert_eq!(
        hs256().verify_at(&token, NOW as f64 - 1.0).as_deref(),
        Ok(IDS)
    );
    assert_eq!(
        hs256().verify_at(&token, NOW as f64),
        Err(TokenError::Expired)
    );
    assert_eq!(
        hs256().verify_at(&token, NOW as f64 + 1.0),
        Err(TokenError::Expired)
    );
    assert_eq!(TokenError::Expired.reason(), "token_expired");
}

#[test]
fn expiry_is_only_reported_for_correctly_signed_tokens() {
    let expired = foreign(
        jsonwebtoken::Algorithm::HS256,
        json!({"ext": IDS, "exp": 1}),
        b"wrong",
    );
    assert_eq!(
        verify_now(&expired),
        Err(TokenError::Unauthorized(Invalid::BadSignature))
    );
}

#[test]
fn exp_is_optional_but_must_be_a_number() {
    let no_exp = foreign(jsonwebtoken::Algorithm::HS256, json!({"ext": IDS}), SECRET);
    assert_eq!(verify_now(&no_exp).as_deref(), Ok(IDS));
    let fractional = foreign(
        jsonwebtoken::Algorithm::HS256,
        json!({"ext": IDS, "exp": NOW as f64 + 0.5}),
        SECRET,
    );
    assert_eq!(verify_now(&fractional).as_deref(), Ok(IDS));
    for exp in [json!("1800000001"), json!({}), json!([NOW + 10])] {
        let token = foreign(
            jsonwebtoken::Algorithm::HS256,
            json!({"ext": IDS, "exp": exp}),
            SECRET,
        );
        assert_eq!(
            verify_now(&token),
            Err(Invalid::BadTimeClaim("exp").into()),
            "{exp}"
        );
    }
}

#[test]
fn nbf_in_the_future_is_unauthorized_not_expired() {
    let early = foreign(
        jsonwebtoken::Algorithm::HS256,
        json!({"ext": IDS, "nbf": NOW + 10}),
        SECRET,
    );
    assert_eq!(verify_now(&early), Err(Invalid::NotYetValid.into()));
    let ready = foreign(
        jsonwebtoken::Algorithm::HS256,
        json!({"ext": IDS, "nbf": NOW}),
        SECRET,
    );
    assert_eq!(verify_now(&ready).as_deref(), Ok(IDS));
}

#[test]
fn ext_must_be_a_string() {
    let missing = foreign(
        jsonwebtoken::Algorithm::HS256,
        json!({"exp": NOW + 10}),
        SECRET,
    );
    assert_eq!(verify_now(&missing), Err(Invalid::MissingExt.into()));
    for ext in [json!({"user_id": 42}), json!(42), json!([IDS])] {
        let token = foreign(jsonwebtoken::Algorithm::HS256, json!({"ext": ext}), SECRET);
        assert_eq!(
            verify_now(&token),
            Err(Invalid::ExtNotString.into()),
            "{ext}"
        );
    }
}

/// A token with any header, signed correctly with HS256 over what it carries.
fn with_header(header: &str, claims: &str) -> String {
    let signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let signature =
        super::hmac_keys::HmacKeys::new(SECRET).sign(Algorithm::HS256, signed.as_bytes());
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
}

#[test]
fn only_hmac_algorithms_are_accepted() {
    let claims = format!(r#"{{"ext":{}}}"#, serde_json::to_string(IDS).unwrap());
    assert_eq!(
        verify_now(&with_header(r#"{"alg":"HS256"}"#, &claims)).as_deref(),
        Ok(IDS)
    );
    for header in [
        r#"{"alg":"none"}"#,
        r#"{"alg":"RS256"}"#,
        r#"{"alg":"ES256"}"#,
    ] {
        assert_eq!(
            verify_now(&with_header(header, &claims)),
            Err(Invalid::AlgorithmNotAllowed { only: None }.into()),
            "{header}"
        );
    }
    // Without an algorithm the header is refused, as jose has it.
    for header in [r#"{"typ":"JWT"}"#, r#"{"alg":""}"#] {
        assert_eq!(
            verify_now(&with_header(header, &claims)),
            Err(Invalid::MissingAlgorithm.into()),
            "{header}"
        );
    }
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(&claims)
    );
    assert!(verify_now(&unsigned).is_err());
}

#[test]
fn a_critical_extension_the_verifier_lacks_refuses_the_token() {
    let claims = format!(r#"{{"ext":{}}}"#, serde_json::to_string(IDS).unwrap());
    let verdict = |header: &str| verify_now(&with_header(header, &claims));
    // RFC 7515 §4.1.11: an extension named in crit must be understood; only b64 (default) is.
    for header in [
        r#"{"alg":"HS256","crit":["exp"]}"#,
        r#"{"alg":"HS256","crit":["b64","x"],"b64":true}"#,
        r#"{"alg":"HS256","crit":["b64"],"b64":false}"#,
        r#"{"crit":["x"]}"#,
    ] {
        assert_eq!(
            verdict(header),
            Err(Invalid::UnknownCritical.into()),
            "{header}"
        );
    }
    for header in [
        r#"{"alg":"HS256","crit":[]}"#,
        r#"{"alg":"HS256","crit":null}"#,
        r#"{"alg":"HS256","crit":"exp"}"#,
        r#"{"alg":"HS256","crit":[""]}"#,
        r#"{"alg":"HS256","crit":["b64"]}"#,
        r#"{"alg":"HS256","crit":["b64"],"b64":"yes"}"#,
    ] {
        assert_eq!(verdict(header), Err(Invalid::Malformed.into()), "{header}");
    }
    for header in [
        r#"{"alg":"HS256","crit":["b64"],"b64":true}"#,
        r#"{"alg":"HS256","b64":"ignored without crit"}"#,
    ] {
        assert_eq!(verdict(header).as_deref(), Ok(IDS), "{header}");
    }
    assert_eq!(
        TokenError::from(Invalid::UnknownCritical).jose_code(),
        "ERR_JOSE_NOT_SUPPORTED"
    );
}

#[test]
fn a_header_that_is_not_a_json_object_is_malformed() {
    let claims = format!(r#"{{"ext":{}}}"#, serde_json::to_string(IDS).unwrap());
    for header in [r#"["HS256"]"#, r#"["HS256","JWT"]"#, r#""HS256""#] {
        assert_eq!(
            verify_now(&with_header(header, &claims)),
            Err(Invalid::Malformed.into()),
            "{header}"
        );
    }
}

#[test]
fn the_algorithm_is_bound_to_the_signature() {
    let token = identificator(Algorithm::HS512).generate_with(IDS, NOW, NOW + 60);
    let (_, rest) = token.split_once('.').unwrap();
    let relabelled = format!("{}.{rest}", URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256"}"#));
    assert_eq!(verify_now(&relabelled), Err(Invalid::BadSignature.into()));
}

#[test]
fn tampering_anywhere_is_unauthorized() {
    let token = hs256().generate_with(IDS, NOW, NOW + 60);
    let forged_claims = URL_SAFE_NO_PAD.encode(r#"{"ext":"{\"user_id\":1}","exp":9999999999}"#);
    let parts: Vec<&str> = token.split('.').collect();
    let forged = format!("{}.{forged_claims}.{}", parts[0], parts[2]);
    assert_eq!(verify_now(&forged), Err(Invalid::BadSignature.into()));
    let other_secret = Identificator::new(b"other", hs256().ttl(), Algorithm::HS256).unwrap();
    assert_eq!(
        other_secret.verify_at(&token, NOW as f64),
        Err(Invalid::BadSignature.into())
    );
    let truncated = &token[..token.len() - 4];
    assert!(matches!(
        verify_now(truncated),
        Err(TokenError::Unauthorized(_))
    ));
}

#[test]
fn malformed_input_is_unauthorized() {
    // Not exactly three segments, or a header that is not base64url JSON: jose's invalid JWS.
    let token = hs256().generate_with(IDS, NOW, NOW + 60);
    let cases = [
        String::new(),
        "abc".into(),
        "a.b".into(),
        "a.b.c.d".into(),
        format!("{token}.x"),
        format!("!{token}"),
        token.replacen('.', "..", 1),
        "\u{0}.\u{0}.\u{0}".into(),
    ];
    for case in cases {
        assert_eq!(
            verify_now(&case),
            Err(Invalid::Malformed.into()),
            "{case:?}"
        );
    }
}

#[test]
fn overlong_tokens_are_refused_before_parsing() {
    let long = "a".repeat(MAX_TOKEN_LEN + 1);
    assert_eq!(verify_now(&long), Err(Invalid::TooLong.into()));
    let padded_ids = format!(r#"{{"pad":"{}"}}"#, "x".repeat(MAX_TOKEN_LEN));
    let big = hs256().generate_with(&padded_ids, NOW, NOW + 60);
    assert_eq!(verify_now(&big), Err(Invalid::TooLong.into()));
}

#[test]
fn an_empty_secret_is_refused() {
    assert!(Identificator::new(b"", hs256().ttl(), Algorithm::HS256).is_err());
}

#[test]
fn issued_tokens_expire_after_the_ttl_or_at_expires_at() {
    let ttl_token = hs256().issue(IDS, None).unwrap();
    let exp = |token: &str| -> u64 {
        let payload = token.split('.').nth(1).unwrap();
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        claims["exp"].as_u64().unwrap()
    };
    assert!(exp(&ttl_token).abs_diff(unix_now() + 3600) <= 1);
    let at = hs256().issue(IDS, Some(2_000_000_000.9)).unwrap();
    assert_eq!(exp(&at), 2_000_000_000);
    // A past expiry is allowed: it mints an already expired token.
    let past = hs256().issue(IDS, Some(1.0)).unwrap();
    assert_eq!(hs256().verify(&past), Err(TokenError::Expired));
}

#[test]
fn expires_at_beyond_the_longest_ttl_or_not_finite_is_refused() {
    let beyond = (unix_now() + Ttl::LONGEST.seconds() + 5) as f64;
    for bad in [
        1e300,
        beyond,
        -1.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ] {
        let result = hs256().issue(IDS, Some(bad));
        assert!(
            matches!(result, Err(IssueError::ExpiresAt { .. })),
            "{bad}: {result:?}"
        );
    }
    let latest = (unix_now() + Ttl::LONGEST.seconds() - 5) as f64;
    assert!(hs256().issue(IDS, Some(latest)).is_ok());
}

#[test]
fn tokens_no_verifier_would_accept_are_not_issued() {
    let fits = |pad: usize| hs256().issue(&format!(r#"{{"pad":"{}"}}"#, "x".repeat(pad)), None);
    let mut pad = 5_900;
    while fits(pad + 1).is_ok() {
        pad += 1;
    }
    let longest = fits(pad).unwrap();
    assert!(longest.len() <= MAX_TOKEN_LEN && longest.len() > MAX_TOKEN_LEN - 4);
    assert_eq!(
        hs256().verify(&longest).unwrap(),
        format!(r#"{{"pad":"{}"}}"#, "x".repeat(pad))
    );
    let error = fits(pad + 1).unwrap_err();
    assert!(
        matches!(error, IssueError::TooLong { len } if len > MAX_TOKEN_LEN),
        "{error}"
    );
}
