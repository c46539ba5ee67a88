use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::error::Invalid;

/// The claims anycable-rs writes: `ext` (identifiers as a JSON string), `iat`, `exp`.
#[derive(Serialize)]
pub(super) struct IssuedClaims<'a> {
    pub ext: &'a str,
    pub iat: u64,
    pub exp: u64,
}

/// The claims a verifier looks at; others are skipped. Each is read in one pass and classified
/// rather than rejected by serde, so a wrong type becomes a precise `Invalid` reason.
#[derive(Deserialize)]
pub(super) struct ReceivedClaims {
    #[serde(default)]
    ext: Option<Claim<String>>,
    #[serde(default)]
    exp: Option<Claim<f64>>,
    #[serde(default)]
    nbf: Option<Claim<f64>>,
}

/// A claim of the expected JSON type, or a value of some other type.
enum Claim<T> {
    Expected(T),
    OtherType,
}

impl ReceivedClaims {
    /// `exp` in seconds, if present; an error if present but not a number.
    pub fn expires_at(&self) -> Result<Option<f64>, Invalid> {
        time_claim(&self.exp)
    }

    pub fn not_before(&self) -> Result<Option<f64>, Invalid> {
        time_claim(&self.nbf)
    }

    /// The identifiers: the `ext` claim, which must be a JSON string.
    pub fn into_identifiers(self) -> Result<String, Invalid> {
        match self.ext {
            None => Err(Invalid::MissingExt),
            Some(Claim::OtherType) => Err(Invalid::ExtNotString),
            Some(Claim::Expected(ext)) => Ok(ext),
        }
    }
}

fn time_claim(claim: &Option<Claim<f64>>) -> Result<Option<f64>, Invalid> {
    match claim {
        None => Ok(None),
        Some(Claim::Expected(seconds)) => Ok(Some(*seconds)),
        Some(Claim::OtherType) => Err(Invalid::BadTimeClaim),
    }
}

/// `null`, arrays and objects are never the expected type; containers are drained.
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

/// Accepts any JSON value; the `visit_*` methods of the expected type keep it.
struct ClaimVisitor<T>(std::marker::PhantomData<T>);

macro_rules! other_types {
    ($($method:ident($ty:ty)),*) => {
        $(fn $method<E: de::Error>(self, _: $ty) -> Result<Self::Value, E> {
            Ok(Claim::OtherType)
        })*
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

    fn visit_string<E: de::Error>(self, value: String) -> Result<Self::Value, E> {
        Ok(Claim::Expected(value))
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
        deserializer.deserialize_any(ClaimVisitor(std::marker::PhantomData))
    }
}
