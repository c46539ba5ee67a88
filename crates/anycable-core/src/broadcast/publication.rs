use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::json_object::Object;

/// One message for one stream, ready for the hub: `message` is the JSON the clients receive.
#[derive(Debug, Clone)]
pub struct Publication {
    pub stream: String,
    pub message: Box<RawValue>,
    /// Skip the session with this sid (Rails `to_others`, `X-Socket-ID`).
    pub exclude_socket: Option<String>,
    /// Not kept in history and given no position (`meta.transient`), like a whisper.
    pub transient: bool,
}

/// Why a publication was refused (HTTP 422).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicationError(pub String);

impl fmt::Display for PublicationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PublicationError {}

/// The AnyCable publication format: `{"stream","data":"<JSON string>","meta":{…}}`.
#[derive(Deserialize)]
struct WirePublication {
    stream: String,
    data: Box<RawValue>,
    #[serde(default)]
    meta: Option<Meta>,
}

#[derive(Deserialize, Default)]
struct Meta {
    exclude_socket: Option<String>,
    /// `null` reads as absent, as in AnyCable (Go leaves a bool untouched for `null`).
    transient: Option<bool>,
}

impl Publication {
    /// The AnyCable wire format again, for other nodes.
    pub fn to_wire_json(&self) -> String {
        #[derive(Serialize)]
        struct Wire<'a> {
            stream: &'a str,
            data: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            meta: Option<WireMeta<'a>>,
        }
        #[derive(Serialize)]
        struct WireMeta<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            exclude_socket: Option<&'a str>,
            #[serde(skip_serializing_if = "std::ops::Not::not")]
            transient: bool,
        }
        let meta = (self.exclude_socket.is_some() || self.transient).then_some(WireMeta {
            exclude_socket: self.exclude_socket.as_deref(),
            transient: self.transient,
        });
        serde_json::to_string(&Wire {
            stream: &self.stream,
            data: self.message.get(),
            meta,
        })
        .expect("strings always serialise")
    }

    /// A publication of a JSON value given as text (what `server.broadcast` sends).
    pub fn new(
        stream: impl Into<String>,
        message_json: String,
    ) -> Result<Publication, PublicationError> {
        let message = RawValue::from_string(message_json)
            .map_err(|_| PublicationError("message is not valid JSON".into()))?;
        Ok(Publication {
            stream: stream.into(),
            message,
            exclude_socket: None,
            transient: false,
        })
    }

    /// One publication or a JSON array of them.
    pub fn parse_batch(body: &[u8]) -> Result<Vec<Publication>, PublicationError> {
        let is_batch = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
        let wire: Vec<Object<WirePublication>> = if is_batch {
            serde_json::from_slice(body)
        } else {
            serde_json::from_slice(body).map(|one| vec![one])
        }
        .map_err(|error| PublicationError(format!("invalid publication: {error}")))?;
        wire.into_iter()
            .map(|Object(wire)| Publication::from_wire(wire))
            .collect()
    }

    fn from_wire(wire: WirePublication) -> Result<Publication, PublicationError> {
        let data: String = serde_json::from_str(wire.data.get()).map_err(|_| {
            PublicationError(format!(
                "data of stream {:?} must be a JSON-encoded string",
                wire.stream
            ))
        })?;
        // `data` holds JSON; clients receive it parsed. Text that is not JSON is sent as the string
        // it is, which is exactly the raw `data` literal.
        let message = RawValue::from_string(data).unwrap_or(wire.data);
        let meta = wire.meta.unwrap_or_default();
        Ok(Publication {
            stream: wire.stream,
            message,
            exclude_socket: meta.exclude_socket,
            transient: meta.transient.unwrap_or(false),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_one_publication_with_its_data_as_json() {
        let body = br#"{"stream":"chat","data":"{\"text\":\"hi\"}","meta":{"exclude_socket":"sid-1","transient":true}}"#;
        let batch = Publication::parse_batch(body).unwrap();
        assert_eq!(batch.len(), 1);
        assert_eq!(batch[0].stream, "chat");
        assert_eq!(batch[0].message.get(), r#"{"text":"hi"}"#);
        assert_eq!(batch[0].exclude_socket.as_deref(), Some("sid-1"));
        assert!(batch[0].transient);
        let kept = Publication::parse_batch(br#"{"stream":"chat","data":"1"}"#).unwrap();
        assert!(!kept[0].transient);
        let null = br#"{"stream":"chat","data":"1","meta":{"transient":null}}"#;
        assert!(!Publication::parse_batch(null).unwrap()[0].transient);
        let text = br#"{"stream":"chat","data":"1","meta":{"transient":"yes"}}"#;
        assert!(Publication::parse_batch(text).is_err());
    }

    #[test]
    fn parses_batches() {
        let body = br#" [{"stream":"a","data":"1"},{"stream":"b","data":"[1,2]"}]"#;
        let batch = Publication::parse_batch(body).unwrap();
        assert_eq!(
            batch.iter().map(|p| p.stream.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(batch[1].message.get(), "[1,2]");
    }

    #[test]
    fn data_that_is_not_json_is_sent_as_a_string() {
        let batch = Publication::parse_batch(br#"{"stream":"a","data":"plain text"}"#).unwrap();
        assert_eq!(batch[0].message.get(), r#""plain text""#);
    }

    #[test]
    fn non_string_data_and_junk_are_refused() {
        for body in [
            &br#"{"stream":"a","data":{"text":"hi"}}"#[..],
            br#"{"stream":"a","data":42}"#,
            br#"{"stream":"a"}"#,
            br#"{"data":"1"}"#,
            br#"[{"stream":"a","data":"1"},{"stream":"b","data":2}]"#,
            br#"[["a","1"]]"#,
            br#"[{"stream":"a","data":"1"},["b","2",{"exclude_socket":"sid"}]]"#,
            b"not json",
            b"",
        ] {
            assert!(
                Publication::parse_batch(body).is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn the_wire_format_round_trips() {
        let body = br#"{"stream":"s","data":"{\"n\":[1,2]}","meta":{"exclude_socket":"sid"}}"#;
        let original = &Publication::parse_batch(body).unwrap()[0];
        let again = &Publication::parse_batch(original.to_wire_json().as_bytes()).unwrap()[0];
        assert_eq!(
            (again.stream.as_str(), again.message.get()),
            ("s", r#"{"n":[1,2]}"#)
        );
        assert_eq!(again.exclude_socket.as_deref(), Some("sid"));
        assert!(!again.transient);
        let transient = br#"{"stream":"s","data":"1","meta":{"transient":true}}"#;
        let original = &Publication::parse_batch(transient).unwrap()[0];
        assert_eq!(
            original.to_wire_json(),
            r#"{"stream":"s","data":"1","meta":{"transient":true}}"#
        );
    }

    #[test]
    fn new_takes_any_json_value() {
        assert_eq!(
            Publication::new("s", "[1,2]".into()).unwrap().message.get(),
            "[1,2]"
        );
        assert!(Publication::new("s", "{".into()).is_err());
    }
}
