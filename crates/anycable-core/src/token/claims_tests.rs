//! The claims reader cross-checked against serde_json, an independent JSON parser, on
//! hand-picked, generated and mutated payloads.

use super::oracle::disagreement;
use super::{Claim, ReceivedClaims};

fn assert_agree(payload: &[u8]) {
    if let Some(disagreement) = disagreement(payload) {
        panic!("{disagreement}");
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
    assert_eq!(claims.iat, Some(Claim::Expected(1.0)));
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
