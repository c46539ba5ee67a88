//! The claims reader cross-checked against serde_json, an independent JSON parser, on
//! hand-picked, generated and mutated payloads.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::{Claim, ReceivedClaims};
use crate::token::Invalid;

/// The same claims read by serde_json: what `ReceivedClaims::parse` must agree with. A present
/// `null` is a claim of the wrong type (wire.md: "if present must be a number"), not an absent
/// one as serde's `Option` would make it.
#[derive(Deserialize)]
struct OracleClaims {
    #[serde(default, deserialize_with = "present")]
    ext: Option<Claim<String>>,
    #[serde(default, deserialize_with = "present")]
    exp: Option<Claim<f64>>,
    #[serde(default, deserialize_with = "present")]
    nbf: Option<Claim<f64>>,
}

fn present<'de, D: Deserializer<'de>, T>(deserializer: D) -> Result<Option<Claim<T>>, D::Error>
where
    Claim<T>: Deserialize<'de>,
{
    Claim::deserialize(deserializer).map(Some)
}

/// Two deliberate differences are applied first: serde_json leaves invalid UTF-8 unchecked in
/// strings it skips, and serde's derive reads a struct from an array; a JWT payload is neither.
fn oracle(payload: &[u8]) -> Result<ReceivedClaims, Invalid> {
    let text = std::str::from_utf8(payload).map_err(|_| Invalid::Malformed)?;
    if text.trim_start().starts_with('[') {
        return Err(Invalid::Malformed);
    }
    let claims: OracleClaims = serde_json::from_slice(payload).map_err(|_| Invalid::Malformed)?;
    Ok(ReceivedClaims {
        ext: claims.ext,
        exp: claims.exp,
        nbf: claims.nbf,
    })
}

struct ClaimVisitor<T>(PhantomData<T>);

macro_rules! other_types {
    ($($method:ident($ty:ty)),*) => {
        $(fn $method<E: de::Error>(self, _: $ty) -> Result<Self::Value, E> {
            Ok(Claim::OtherType)
        })*
    };
}

macro_rules! non_scalar_values {
    () => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Claim::OtherType)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Claim::OtherType)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(Claim::OtherType)
        }
    };
}

impl<'de> Visitor<'de> for ClaimVisitor<String> {
    type Value = Claim<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(Claim::Expected(value.to_owned()))
    }

    other_types!(
        visit_bool(bool),
        visit_i64(i64),
        visit_u64(u64),
        visit_f64(f64)
    );
    non_scalar_values!();
}

impl<'de> Visitor<'de> for ClaimVisitor<f64> {
    type Value = Claim<f64>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        Ok(Claim::Expected(value as f64))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        Ok(Claim::Expected(value as f64))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
        Ok(Claim::Expected(value))
    }

    other_types!(visit_bool(bool), visit_str(&str));
    non_scalar_values!();
}

impl<'de, T> Deserialize<'de> for Claim<T>
where
    ClaimVisitor<T>: Visitor<'de, Value = Claim<T>>,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ClaimVisitor(PhantomData))
    }
}

/// Both readers agree on `payload`: the same error, or the same claims (times within the last
/// bit, as serde_json's default float parsing is not always correctly rounded).
fn assert_agree(payload: &[u8]) {
    let ours = ReceivedClaims::parse(payload, String::new());
    let theirs = oracle(payload);
    let agree = match (&ours, &theirs) {
        (Ok(ours), Ok(theirs)) => {
            ours.ext == theirs.ext
                && close_times(&ours.exp, &theirs.exp)
                && close_times(&ours.nbf, &theirs.nbf)
        }
        (Err(ours), Err(theirs)) => ours == theirs,
        _ => false,
    };
    assert!(
        agree,
        "readers disagree on {:?}: ours {ours:?}, serde_json {theirs:?}",
        String::from_utf8_lossy(payload)
    );
}

fn close_times(ours: &Option<Claim<f64>>, theirs: &Option<Claim<f64>>) -> bool {
    match (ours, theirs) {
        (Some(Claim::Expected(a)), Some(Claim::Expected(b))) => {
            a == b || (a - b).abs() <= a.abs().max(b.abs()) * 4.0 * f64::EPSILON
        }
        _ => ours == theirs,
    }
}

#[test]
fn reads_the_anycable_claims() {
    let claims = ReceivedClaims::parse(
        br#"{"ext":"{\"user_id\":42,\"name\":\"Zo\u00eb \ud83d\ude00\"}","iat":1,"exp":1800000000}"#,
        "a reused buffer".to_owned(),
    )
    .unwrap();
    assert_eq!(
        claims.ext,
        Some(Claim::Expected(
            r#"{"user_id":42,"name":"Zoë 😀"}"#.to_owned()
        ))
    );
    assert_eq!(claims.exp, Some(Claim::Expected(1_800_000_000.0)));
    assert_eq!(claims.nbf, None);
}

#[test]
fn agrees_with_serde_json_on_edge_cases() {
    let cases: &[&str] = &[
        r#"{}"#,
        r#" { "ext" : "a" , "exp" : 1 } "#,
        "{\t\"ext\"\n:\r\"a\"}",
        r#"{"ext":"a","ext":"b"}"#,
        r#"{"e\u0078t":"a","ext":"b"}"#,
        r#"{"e\u0078t":"escaped key"}"#,
        r#"{"ext":1}"#,
        r#"{"ext":null}"#,
        r#"{"ext":["a"]}"#,
        r#"{"ext":{"a":"b"}}"#,
        r#"{"exp":"1"}"#,
        r#"{"exp":true}"#,
        r#"{"exp":-0}"#,
        r#"{"exp":1.5e3}"#,
        r#"{"exp":1E+2}"#,
        r#"{"exp":1e400}"#,
        r#"{"exp":1e-400}"#,
        r#"{"exp":18446744073709551616}"#,
        r#"{"exp":01}"#,
        r#"{"exp":1.}"#,
        r#"{"exp":.5}"#,
        r#"{"exp":-}"#,
        r#"{"exp":+1}"#,
        r#"{"ext":"\ud800"}"#,
        r#"{"ext":"\udc00"}"#,
        r#"{"ext":"\ud800\u0041"}"#,
        r#"{"other":"\ud800","ext":"a"}"#,
        r#"{"\ud800":1}"#,
        r#"{"exp":"\ud800"}"#,
        r#"{"ext":"\x"}"#,
        r#"{"ext":"\u12"}"#,
        r#"{"ext":"\u12g4"}"#,
        "{\"ext\":\"tab\there\"}",
        r#"{"ext":"a"} x"#,
        r#"{"ext":"a"}}"#,
        r#"{"ext":"a",}"#,
        r#"{,"ext":"a"}"#,
        r#"{"ext" "a"}"#,
        r#"{"ext":"a""#,
        r#"["ext"]"#,
        r#""ext""#,
        r#"{"a":[1,{"b":[true,false,null]},"c"],"ext":"x"}"#,
        r#"{"a":[1,],"ext":"x"}"#,
        r#"{"a":tru,"ext":"x"}"#,
        r#"{"a":nul}"#,
        r#"{"a":{"b"}}"#,
        r#"{"a":{1:2}}"#,
        r#"{"a":[}"#,
        "",
        "   ",
    ];
    for case in cases {
        assert_agree(case.as_bytes());
    }
    assert_agree(b"{\"ext\":\"\xff\"}");
    assert_agree(b"{\"ext\":\"a\"}\xff");
}

#[test]
fn agrees_with_serde_json_on_deep_nesting() {
    for depth in [1, 127, 128, 5000] {
        let nested = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        assert_agree(format!(r#"{{"a":{nested},"ext":"x"}}"#).as_bytes());
        assert_agree(format!(r#"{{"exp":{nested}}}"#).as_bytes());
    }
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Generator(u64);

impl Generator {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.below(options.len())]
    }

    fn whitespace(&mut self) -> &'static str {
        self.pick(&["", "", "", " ", "\n", "\t ", "\r\n"])
    }

    fn string(&mut self) -> String {
        let pieces = [
            "a",
            "user_id",
            "\\\"",
            "\\\\",
            "\\/",
            "\\b",
            "\\n",
            "\\t",
            "\\u00e9",
            "\\u0041",
            "\\ud83d\\ude00",
            "\\ud800",
            "\\udc00",
            "é",
            "😀",
            " ",
            "{",
            "\\\"id\\\":1",
        ];
        let body: String = (0..self.below(5)).map(|_| self.pick(&pieces)).collect();
        format!("\"{body}\"")
    }

    fn number(&mut self) -> String {
        self.pick(&[
            "0",
            "-0",
            "42",
            "-7",
            "1800000000",
            "1800000000.5",
            "1e3",
            "2.5E-3",
            "-1.25e+2",
            "12345678901234567890",
            "1e400",
            "0.1",
            "3.14159",
        ])
        .to_owned()
    }

    fn value(&mut self, depth: usize) -> String {
        let kinds = if depth > 3 { 5 } else { 7 };
        match self.below(kinds) {
            0 | 1 => self.string(),
            2 | 3 => self.number(),
            4 => self.pick(&["true", "false", "null"]).to_owned(),
            5 => {
                let items: Vec<String> =
                    (0..self.below(4)).map(|_| self.value(depth + 1)).collect();
                format!("[{}]", items.join(","))
            }
            _ => self.object(depth + 1),
        }
    }

    fn key(&mut self) -> String {
        self.pick(&[
            "\"ext\"",
            "\"exp\"",
            "\"nbf\"",
            "\"iat\"",
            "\"sub\"",
            "\"e\\u0078t\"",
            "\"\"",
            "\"\\u00e9\"",
            "\"ex\"",
            "\"extra\"",
        ])
        .to_owned()
    }

    fn object(&mut self, depth: usize) -> String {
        let members: Vec<String> = (0..self.below(5))
            .map(|_| {
                let (a, b, c, d) = (
                    self.whitespace(),
                    self.whitespace(),
                    self.whitespace(),
                    self.whitespace(),
                );
                format!("{a}{}{b}:{c}{}{d}", self.key(), self.value(depth))
            })
            .collect();
        format!("{{{}}}", members.join(","))
    }
}

#[test]
fn agrees_with_serde_json_on_generated_payloads() {
    let mut generator = Generator(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20_000 {
        let payload = generator.object(0);
        assert_agree(payload.as_bytes());
    }
}

#[test]
fn agrees_with_serde_json_on_mutated_payloads() {
    let mut generator = Generator(0xD1B5_4A32_D192_ED03);
    let noise: &[u8] = b"\"\\{}[],:0e-.+ u\x01tfn\xc3\xff";
    for _ in 0..20_000 {
        let mut payload = generator.object(0).into_bytes();
        for _ in 0..1 + generator.below(3) {
            let at = generator.below(payload.len() + 1);
            let byte = noise[generator.below(noise.len())];
            match generator.below(3) {
                0 if at < payload.len() => {
                    payload.remove(at);
                }
                1 if at < payload.len() => payload[at] = byte,
                _ => payload.insert(at, byte),
            }
        }
        assert_agree(&payload);
    }
}
