//! The tokens serverless-js mints, and verification by jose's rules with jose's error codes.
//! The Node suite (`__test__/token-serverless.test.mjs`) checks the same against jose itself.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::hmac_keys::HmacKeys;
use super::*;

const SECRET: &[u8] = b"s3cr3t";
const NOW: u64 = 1_800_000_000;

fn identificator(algorithm: Algorithm) -> Identificator {
    Identificator::new(SECRET, Ttl::from_seconds(3600.0).unwrap(), algorithm).unwrap()
}

/// A token of any header and claims text, signed with `algorithm` over what it carries.
fn signed(header: &str, claims: &str, algorithm: Algorithm) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let signature = HmacKeys::new(SECRET).sign(algorithm, input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn hs256(claims: &str) -> String {
    signed(r#"{"alg":"HS256"}"#, claims, Algorithm::HS256)
}

/// serverless-js's `verify` for a one-hour ttl, as of `NOW`.
fn verify(token: &str) -> Result<Option<String>, TokenError> {
    let rules = JoseRules::max_age(Ttl::from_seconds(3600.0).unwrap());
    identificator(Algorithm::HS256).verify_as_jose_at(token, rules, NOW as f64, String::new())
}

/// serverless-js's `verifyAndFetch`, as of `NOW`.
fn fetch(token: &str) -> Result<Option<String>, TokenError> {
    identificator(Algorithm::HS256).verify_as_jose_at(
        token,
        JoseRules::HS256_ONLY,
        NOW as f64,
        String::new(),
    )
}

fn decoded(segment: &str) -> String {
    String::from_utf8(URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
}

#[test]
fn tokens_are_serverless_js_bytes_header_alg_only_and_claims_ext_exp_iat() {
    for algorithm in Algorithm::ALL {
        let token = identificator(algorithm).generate_with(r#"{"id":"Zoë \"q\""}"#, NOW, NOW + 60);
        let segments: Vec<&str> = token.split('.').collect();
        assert_eq!(decoded(segments[0]), format!(r#"{{"alg":"{algorithm}"}}"#));
        assert_eq!(
            decoded(segments[1]),
            r#"{"ext":"{\"id\":\"Zoë \\\"q\\\"\"}","exp":1800000060,"iat":1800000000}"#
        );
    }
}

#[test]
fn generated_tokens_pass_both_serverless_js_checks() {
    let token = identificator(Algorithm::HS256).generate_with("{}", NOW, NOW + 3600);
    assert_eq!(verify(&token), Ok(Some("{}".into())));
    assert_eq!(fetch(&token), Ok(Some("{}".into())));
}

#[test]
fn a_valid_token_without_a_string_ext_has_no_identifiers_rather_than_an_error() {
    for claims in [
        format!(r#"{{"iat":{NOW}}}"#),
        format!(r#"{{"ext":1,"iat":{NOW}}}"#),
        format!(r#"{{"ext":null,"iat":{NOW}}}"#),
    ] {
        assert_eq!(verify(&hs256(&claims)), Ok(None), "{claims}");
        assert_eq!(fetch(&hs256(&claims)), Ok(None), "{claims}");
    }
}

#[test]
fn the_maximum_age_requires_iat_no_older_than_the_ttl_and_not_in_the_future() {
    let at = |iat: u64| hs256(&format!(r#"{{"ext":"{{}}","iat":{iat}}}"#));
    assert_eq!(verify(&at(NOW - 3600)), Ok(Some("{}".into())));
    assert_eq!(verify(&at(NOW - 3601)), Err(TokenError::TooOld));
    assert_eq!(verify(&at(NOW + 1)), Err(Invalid::IssuedInFuture.into()));
    let without = hs256(r#"{"ext":"{}"}"#);
    assert_eq!(verify(&without), Err(Invalid::MissingIat.into()));
    // No maximum age, no iat check: verifyAndFetch accepts all of them.
    for token in [at(NOW - 3601), at(NOW + 1), without] {
        assert_eq!(fetch(&token), Ok(Some("{}".into())));
    }
}

#[test]
fn claims_are_checked_in_jose_order() {
    // nbf before exp: a token both early and expired is not yet valid (AnyCable's rules say expired).
    let early_and_expired = hs256(&format!(
        r#"{{"ext":"{{}}","iat":{NOW},"nbf":{},"exp":{}}}"#,
        NOW + 60,
        NOW - 1
    ));
    assert_eq!(verify(&early_and_expired), Err(Invalid::NotYetValid.into()));
    assert_eq!(
        identificator(Algorithm::HS256).verify_at(&early_and_expired, NOW as f64),
        Err(TokenError::Expired)
    );
    // exp before the age: an old, expired token is expired.
    let old_and_expired = hs256(&format!(r#"{{"iat":{},"exp":{}}}"#, NOW - 7200, NOW - 1));
    assert_eq!(verify(&old_and_expired), Err(TokenError::Expired));
    // iat's type before nbf's and exp's.
    let all_wrong = hs256(r#"{"iat":"x","nbf":"x","exp":"x"}"#);
    assert_eq!(fetch(&all_wrong), Err(Invalid::BadTimeClaim("iat").into()));
}

#[test]
fn algorithms_as_each_serverless_js_call_lists_them() {
    let claims = format!(r#"{{"ext":"{{}}","iat":{NOW}}}"#);
    for algorithm in [Algorithm::HS384, Algorithm::HS512] {
        let token = signed(&format!(r#"{{"alg":"{algorithm}"}}"#), &claims, algorithm);
        assert_eq!(verify(&token), Ok(Some("{}".into())));
        let not_allowed = Invalid::AlgorithmNotAllowed {
            only: Some(Algorithm::HS256),
        };
        assert_eq!(fetch(&token), Err(not_allowed.into()));
    }
    for alg in ["none", "RS256", "HS1024"] {
        let token = signed(&format!(r#"{{"alg":"{alg}"}}"#), &claims, Algorithm::HS256);
        assert_eq!(
            verify(&token),
            Err(Invalid::UnsupportedAlgorithm.into()),
            "{alg}"
        );
        assert_eq!(
            verify(&token).unwrap_err().jose_code(),
            "ERR_JOSE_NOT_SUPPORTED"
        );
        assert_eq!(
            fetch(&token).unwrap_err().jose_code(),
            "ERR_JOSE_ALG_NOT_ALLOWED"
        );
    }
}

/// jose 4.15.9's code for each kind of bad token, observed by running the tokens through it
/// (see the Node suite); `verifyAndFetch`'s rules.
#[test]
fn each_refusal_carries_the_code_jose_gives_the_token() {
    let valid = hs256(&format!(r#"{{"ext":"{{}}","iat":{NOW}}}"#));
    let header = valid.split('.').next().unwrap();
    let cases = [
        ("a.b".to_owned(), "ERR_JWS_INVALID"),
        (format!("{valid}.x"), "ERR_JWS_INVALID"),
        (
            signed(r#"{"typ":"JWT"}"#, "{}", Algorithm::HS256),
            "ERR_JWS_INVALID",
        ),
        (signed("[]", "{}", Algorithm::HS256), "ERR_JWS_INVALID"),
        ("a".repeat(MAX_TOKEN_LEN + 1), "ERR_JWS_INVALID"),
        (
            signed(r#"{"alg":"HS384"}"#, "{}", Algorithm::HS384),
            "ERR_JOSE_ALG_NOT_ALLOWED",
        ),
        (
            valid.replace(valid.rsplit('.').next().unwrap(), "!!!"),
            "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
        ),
        (
            format!("{}.e30.{}", header, "AAAA"),
            "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
        ),
        (hs256("[1]"), "ERR_JWT_INVALID"),
        (hs256("nope"), "ERR_JWT_INVALID"),
        (hs256(""), "ERR_JWT_INVALID"),
        (
            hs256(&format!(r#"{{"nbf":{}}}"#, NOW + 1)),
            "ERR_JWT_CLAIM_VALIDATION_FAILED",
        ),
        (hs256(r#"{"exp":"1"}"#), "ERR_JWT_CLAIM_VALIDATION_FAILED"),
        (hs256(r#"{"exp":null}"#), "ERR_JWT_CLAIM_VALIDATION_FAILED"),
        (hs256(&format!(r#"{{"exp":{NOW}}}"#)), "ERR_JWT_EXPIRED"),
    ];
    for (token, code) in cases {
        let refusal = fetch(&token).expect_err(&token);
        assert_eq!(refusal.jose_code(), code, "{token}: {refusal}");
        let reason = if code == "ERR_JWT_EXPIRED" {
            "token_expired"
        } else {
            "unauthorized"
        };
        assert_eq!(refusal.reason(), reason);
    }
    assert_eq!(TokenError::TooOld.jose_code(), "ERR_JWT_EXPIRED");
    assert_eq!(TokenError::TooOld.reason(), "token_expired");
}
