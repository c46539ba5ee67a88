//! History requests: the messages a client missed on its subscription's streams, asked for on
//! `subscribe` or with the `history` command.

// Public for the fuzz targets (through `fuzzing`); internal otherwise.
#![cfg_attr(not(feature = "fuzzing"), allow(unreachable_pub))]

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::json_object::Object;

/// `{"since": <unix seconds> | false | null, "streams": {"<stream>": {"epoch": …, "offset": …}}}`.
/// Both members may be missing; an empty request asks for nothing.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct HistoryRequest {
    /// For streams without a position: the messages kept since this Unix time, in seconds.
    /// `0`, `false` and `null` all mean none (the JS client sends `false` with
    /// `historyTimestamp: false`).
    pub since: Option<u64>,
    /// The last position the client saw, per stream name; a repeated stream keeps its last entry.
    pub streams: Vec<(String, StreamPosition)>,
}

/// The last message a client saw on a stream: the server's epoch and the stream offset.
#[derive(Debug, PartialEq, Eq, Deserialize)]
pub struct StreamPosition {
    /// The epoch of the server that sent the message; another epoch's offsets mean nothing.
    pub epoch: String,
    /// The offset of the last message seen; the replay starts after it.
    pub offset: u64,
}

/// A `history` member that is not a history request (answered with `reject_history`).
#[derive(Debug, PartialEq, Eq)]
pub struct MalformedHistory;

#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    since: Since,
    #[serde(default)]
    streams: Streams,
}

impl HistoryRequest {
    /// Reads a command's `history` member; anything but the shape above is malformed.
    pub fn parse(raw: &RawValue) -> Result<HistoryRequest, MalformedHistory> {
        let Object(Raw {
            since: Since(since),
            streams: Streams(streams),
        }) = serde_json::from_str(raw.get()).map_err(|_| MalformedHistory)?;
        Ok(HistoryRequest { since, streams })
    }
}

/// A non-negative integer, `false` or `null`; zero is none.
#[derive(Default)]
struct Since(Option<u64>);

impl<'de> Deserialize<'de> for Since {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SinceVisitor)
    }
}

struct SinceVisitor;

impl Visitor<'_> for SinceVisitor {
    type Value = Since;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("Unix seconds, false or null")
    }

    fn visit_u64<E>(self, seconds: u64) -> Result<Since, E> {
        Ok(Since((seconds > 0).then_some(seconds)))
    }

    fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<Since, E> {
        if value {
            Err(E::invalid_value(serde::de::Unexpected::Bool(true), &self))
        } else {
            Ok(Since(None))
        }
    }

    fn visit_unit<E>(self) -> Result<Since, E> {
        Ok(Since(None))
    }
}

/// An object of stream positions, or `null` for none.
#[derive(Default)]
struct Streams(Vec<(String, StreamPosition)>);

impl<'de> Deserialize<'de> for Streams {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StreamsVisitor)
    }
}

struct StreamsVisitor;

impl<'de> Visitor<'de> for StreamsVisitor {
    type Value = Streams;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of stream positions")
    }

    fn visit_unit<E>(self) -> Result<Streams, E> {
        Ok(Streams::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Streams, A::Error> {
        let mut streams: Vec<(String, StreamPosition)> = Vec::new();
        while let Some(stream) = map.next_key::<String>()? {
            let Object(position) = map.next_value::<Object<StreamPosition>>()?;
            // A JSON object's repeated key means its last value, as serde_json reads maps.
            streams.retain(|(kept, _)| *kept != stream);
            streams.push((stream, position));
        }
        Ok(Streams(streams))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<HistoryRequest, MalformedHistory> {
        HistoryRequest::parse(&RawValue::from_string(text.to_owned()).unwrap())
    }

    fn position(epoch: &str, offset: u64) -> StreamPosition {
        StreamPosition {
            epoch: epoch.to_owned(),
            offset,
        }
    }

    #[test]
    fn reads_what_the_js_client_sends() {
        assert_eq!(
            parse(r#"{"since":1796226712,"streams":{}}"#),
            Ok(HistoryRequest {
                since: Some(1796226712),
                streams: vec![],
            })
        );
        assert_eq!(
            parse(r#"{"since":1796226713,"streams":{"chat_42":{"epoch":"ep1","offset":5}}}"#),
            Ok(HistoryRequest {
                since: Some(1796226713),
                streams: vec![("chat_42".to_owned(), position("ep1", 5))],
            })
        );
    }

    #[test]
    fn since_zero_false_null_or_missing_means_none() {
        for text in [
            r#"{"since":0}"#,
            r#"{"since":false}"#,
            r#"{"since":null}"#,
            r#"{}"#,
            r#"{"since":false,"streams":null}"#,
        ] {
            assert_eq!(parse(text), Ok(HistoryRequest::default()), "{text}");
        }
        assert_eq!(
            parse(r#"{"since":false,"streams":{"s-42":{"epoch":"E","offset":1}}}"#),
            Ok(HistoryRequest {
                since: None,
                streams: vec![("s-42".to_owned(), position("E", 1))],
            })
        );
    }

    #[test]
    fn a_repeated_stream_keeps_its_last_position() {
        let request =
            parse(r#"{"streams":{"a":{"epoch":"E","offset":1},"b":{"epoch":"E","offset":2},"a":{"epoch":"E","offset":3}}}"#)
                .unwrap();
        assert_eq!(
            request.streams,
            vec![
                ("b".to_owned(), position("E", 2)),
                ("a".to_owned(), position("E", 3)),
            ]
        );
    }

    #[test]
    fn anything_else_is_malformed() {
        for text in [
            "[]",
            r#""history""#,
            "1",
            r#"{"since":true}"#,
            r#"{"since":-5}"#,
            r#"{"since":1.5}"#,
            r#"{"since":"1796226712"}"#,
            r#"{"streams":[]}"#,
            r#"{"streams":{"s":null}}"#,
            r#"{"streams":{"s":["E",1]}}"#,
            r#"{"streams":{"s":{"offset":1}}}"#,
            r#"{"streams":{"s":{"epoch":"E"}}}"#,
            r#"{"streams":{"s":{"epoch":"E","offset":-1}}}"#,
            r#"{"streams":{"s":{"epoch":1,"offset":1}}}"#,
        ] {
            assert_eq!(parse(text), Err(MalformedHistory), "{text}");
        }
    }
}
