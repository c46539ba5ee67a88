//! serde_json, an independent JSON parser, reading the same claims as [`ReceivedClaims::parse`]:
//! the oracle the unit tests and the `claims` fuzz target cross-check the reader against.

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
    #[serde(default, deserialize_with = "present")]
    iat: Option<Claim<f64>>,
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
    let text = std::str::from_utf8(payload).map_err(|_| Invalid::MalformedClaims)?;
    if text.trim_start().starts_with('[') {
        return Err(Invalid::MalformedClaims);
    }
    let claims: OracleClaims =
        serde_json::from_slice(payload).map_err(|_| Invalid::MalformedClaims)?;
    Ok(ReceivedClaims {
        ext: claims.ext,
        exp: claims.exp,
        nbf: claims.nbf,
        iat: claims.iat,
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

/// How the readers disagree on `payload`, if they do. They must agree: the same error, or the same
/// claims (times within the last bit, as serde_json's default float parsing is not always
/// correctly rounded).
pub(crate) fn disagreement(payload: &[u8]) -> Option<String> {
    let ours = ReceivedClaims::parse(payload, String::new());
    let theirs = oracle(payload);
    let agree = match (&ours, &theirs) {
        (Ok(ours), Ok(theirs)) => {
            ours.ext == theirs.ext
                && close_times(&ours.exp, &theirs.exp)
                && close_times(&ours.nbf, &theirs.nbf)
                && close_times(&ours.iat, &theirs.iat)
        }
        (Err(ours), Err(theirs)) => ours == theirs,
        _ => false,
    };
    (!agree).then(|| {
        format!(
            "readers disagree on {:?}: ours {ours:?}, serde_json {theirs:?}",
            String::from_utf8_lossy(payload)
        )
    })
}

fn close_times(ours: &Option<Claim<f64>>, theirs: &Option<Claim<f64>>) -> bool {
    match (ours, theirs) {
        (Some(Claim::Expected(a)), Some(Claim::Expected(b))) => {
            a == b || (a - b).abs() <= a.abs().max(b.abs()) * 4.0 * f64::EPSILON
        }
        _ => ours == theirs,
    }
}
