//! What a client announces when it joins a stream's presence set (`join`, or `subscribe` with
//! `presence`).

// Public for the fuzz targets (through `fuzzing`); internal otherwise.
#![cfg_attr(not(feature = "fuzzing"), allow(unreachable_pub))]

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::json_object::Object;

/// `{"id": "<presence id>", "info": <any JSON>}`: one record per id and stream, whatever the
/// number of sessions joined with it.
#[derive(Debug)]
pub struct PresenceJoin {
    /// Never empty (the JS client sends `String(id)`).
    pub id: String,
    /// Shown to others as sent; `null` or missing is none.
    pub info: Option<Box<RawValue>>,
}

#[derive(Deserialize)]
struct Raw {
    id: String,
    #[serde(default)]
    info: Option<Box<RawValue>>,
}

impl PresenceJoin {
    /// Reads a command's `presence` member; `None` when it is not a join (no string id).
    pub fn parse(raw: &RawValue) -> Option<PresenceJoin> {
        let Object(Raw { id, info }) = serde_json::from_str(raw.get()).ok()?;
        (!id.is_empty()).then_some(PresenceJoin { id, info })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Option<PresenceJoin> {
        PresenceJoin::parse(&RawValue::from_string(text.to_owned()).unwrap())
    }

    #[test]
    fn keeps_the_info_as_sent() {
        let join = parse(r#"{"id":"u1","info":{ "name" : "Ann" }}"#).unwrap();
        assert_eq!(join.id, "u1");
        assert_eq!(join.info.unwrap().get(), r#"{ "name" : "Ann" }"#);
        let text = parse(r#"{"info":"x","id":"u9"}"#).unwrap();
        assert_eq!(
            (text.id.as_str(), text.info.unwrap().get()),
            ("u9", r#""x""#)
        );
    }

    #[test]
    fn info_may_be_missing_or_null() {
        for text in [r#"{"id":"u1"}"#, r#"{"id":"u1","info":null}"#] {
            let join = parse(text).unwrap();
            assert_eq!(join.id, "u1");
            assert!(join.info.is_none(), "{text}");
        }
    }

    #[test]
    fn without_a_string_id_it_is_no_join() {
        for text in [
            "{}",
            r#"{"id":""}"#,
            r#"{"id":42,"info":"x"}"#,
            r#"{"id":null}"#,
            r#"["u1",{}]"#,
            r#""u1""#,
            "null",
        ] {
            assert!(parse(text).is_none(), "{text}");
        }
    }
}
