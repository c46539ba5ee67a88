use serde::Deserialize;
use serde_json::value::RawValue;

use crate::json_object::Object;

/// A command from the client. Identifiers stay raw strings: they are echoed byte for byte.
#[derive(Debug)]
pub enum Command {
    Subscribe {
        identifier: String,
    },
    Unsubscribe {
        identifier: String,
    },
    /// `perform`: `data` is a JSON string holding the action and its arguments.
    Message {
        identifier: String,
        data: String,
    },
    /// A client-to-client message relayed to the other subscribers of a stream.
    Whisper {
        identifier: String,
        data: Box<RawValue>,
    },
    /// Well-formed but not something this server acts on; ignored.
    Unknown,
}

/// The frame was not a JSON object (the connection is closed with 1007).
#[derive(Debug, PartialEq, Eq)]
pub struct MalformedCommand;

#[derive(Deserialize)]
struct Raw {
    command: Option<String>,
    identifier: Option<String>,
    data: Option<Box<RawValue>>,
}

impl Command {
    pub fn parse(text: &str) -> Result<Command, MalformedCommand> {
        let Object(raw): Object<Raw> = serde_json::from_str(text).map_err(|_| MalformedCommand)?;
        let (Some(command), Some(identifier)) = (raw.command, raw.identifier) else {
            return Ok(Command::Unknown);
        };
        Ok(match (command.as_str(), raw.data) {
            ("subscribe", _) => Command::Subscribe { identifier },
            ("unsubscribe", _) => Command::Unsubscribe { identifier },
            ("message", Some(data)) => match serde_json::from_str::<String>(data.get()) {
                Ok(data) => Command::Message { identifier, data },
                Err(_) => Command::Unknown,
            },
            ("whisper", Some(data)) => Command::Whisper { identifier, data },
            _ => Command::Unknown,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = r#"{"channel":"$pubsub","stream_name":"chat"}"#;

    fn frame(json: serde_json::Value) -> String {
        json.to_string()
    }

    #[test]
    fn parses_the_action_cable_commands() {
        let subscribe = frame(serde_json::json!({"command": "subscribe", "identifier": ID}));
        assert!(
            matches!(Command::parse(&subscribe), Ok(Command::Subscribe { identifier }) if identifier == ID)
        );
        let unsubscribe = frame(serde_json::json!({"command": "unsubscribe", "identifier": ID}));
        assert!(
            matches!(Command::parse(&unsubscribe), Ok(Command::Unsubscribe { identifier }) if identifier == ID)
        );
        let message = frame(
            serde_json::json!({"command": "message", "identifier": ID, "data": "{\"action\":\"speak\"}"}),
        );
        assert!(matches!(
            Command::parse(&message),
            Ok(Command::Message { identifier, data }) if identifier == ID && data == r#"{"action":"speak"}"#
        ));
        let whisper = frame(
            serde_json::json!({"command": "whisper", "identifier": ID, "data": {"typing": true}}),
        );
        match Command::parse(&whisper).unwrap() {
            Command::Whisper { identifier, data } => {
                assert_eq!(identifier, ID);
                assert_eq!(data.get(), r#"{"typing":true}"#);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn identifiers_are_kept_byte_for_byte() {
        let odd = r#"{ "room" : "42",  "channel":"ChatChannel"}"#;
        let subscribe = frame(serde_json::json!({"command": "subscribe", "identifier": odd}));
        assert!(
            matches!(Command::parse(&subscribe), Ok(Command::Subscribe { identifier }) if identifier == odd)
        );
    }

    #[test]
    fn unknown_or_incomplete_commands_are_ignorable() {
        for text in [
            r#"{"command":"history","identifier":"x"}"#,
            r#"{"command":"subscribe"}"#,
            r#"{"identifier":"x"}"#,
            r#"{"command":"message","identifier":"x"}"#,
            r#"{"command":"message","identifier":"x","data":{"action":"a"}}"#,
            r#"{}"#,
        ] {
            assert!(
                matches!(Command::parse(text), Ok(Command::Unknown)),
                "{text}"
            );
        }
    }

    #[test]
    fn what_is_not_a_json_object_is_malformed() {
        for text in [
            "",
            "not json",
            "{",
            "[]",
            r#"["subscribe","x",null]"#,
            r#"["message","x","\"data\""]"#,
            "42",
            r#""subscribe""#,
            r#"{"command":42}"#,
        ] {
            assert!(
                matches!(Command::parse(text), Err(MalformedCommand)),
                "{text}"
            );
        }
    }
}
