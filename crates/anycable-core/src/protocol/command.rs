// Public for the fuzz targets (through `fuzzing`); internal otherwise.
#![cfg_attr(not(feature = "fuzzing"), allow(unreachable_pub))]

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::history::{HistoryRequest, MalformedHistory};
use super::presence::PresenceJoin;
use crate::json_object::Object;

/// A command from the client. Identifiers stay raw strings: they are echoed byte for byte.
///
/// A malformed `history` or `presence` member never makes a command unparseable: `subscribe`
/// still subscribes (answering the bad history with `reject_history`, skipping the bad join),
/// `history` answers `reject_history`, and a `join` without a valid presence is ignored.
#[derive(Debug)]
pub enum Command {
    Subscribe {
        identifier: String,
        /// Replay after the confirmation: `Err` when the request was malformed.
        history: Option<Result<HistoryRequest, MalformedHistory>>,
        /// Join the presence set after the confirmation (and the history); a malformed
        /// `presence` is none.
        presence: Option<PresenceJoin>,
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
    /// The messages missed on an existing subscription (after a restore). Without a `history`
    /// member it is `Unknown`, as the reference server sends nothing.
    History {
        identifier: String,
        /// `Err` when the request was malformed.
        request: Result<HistoryRequest, MalformedHistory>,
    },
    /// Join the presence set of the subscription's stream.
    Join {
        identifier: String,
        presence: PresenceJoin,
    },
    /// Leave the presence set of the subscription's stream (any `presence` member is ignored).
    Leave {
        identifier: String,
    },
    /// `presence`: who is in the subscription's presence set, answered to this session only
    /// (its `data`, e.g. `return_records`, is ignored as by the reference server).
    PresenceInfo {
        identifier: String,
    },
    /// `{"command":"ping"}`: answered with `{"type":"pong"}`.
    Ping,
    /// The client's answer to a server ping; nothing to answer.
    Pong,
    /// Well-formed but not something this server acts on; ignored.
    Unknown,
}

/// The frame was not a JSON object (the connection is closed with 1007).
#[derive(Debug, PartialEq, Eq)]
pub struct MalformedCommand;

/// The members are borrowed from the frame: only what a command keeps is copied.
#[derive(Deserialize)]
struct Raw<'a> {
    #[serde(borrow)]
    command: Option<Name<'a>>,
    identifier: Option<String>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
    #[serde(borrow)]
    history: Option<&'a RawValue>,
    #[serde(borrow)]
    presence: Option<&'a RawValue>,
}

/// A command name, borrowed unless it has escapes.
#[derive(Deserialize)]
struct Name<'a>(#[serde(borrow)] Cow<'a, str>);

impl Command {
    /// Reads one text frame. Only a frame that is not a JSON object (or whose `command` or
    /// `identifier` is not a string) is an error; members a command does not use are skipped.
    pub fn parse(text: &str) -> Result<Command, MalformedCommand> {
        let Object(raw): Object<Raw> = serde_json::from_str(text).map_err(|_| MalformedCommand)?;
        let Some(Name(command)) = raw.command else {
            return Ok(Command::Unknown);
        };
        match &*command {
            "ping" => return Ok(Command::Ping),
            "pong" => return Ok(Command::Pong),
            _ => {}
        }
        let Some(identifier) = raw.identifier else {
            return Ok(Command::Unknown);
        };
        Ok(match &*command {
            "subscribe" => Command::Subscribe {
                identifier,
                history: raw.history.map(HistoryRequest::parse),
                presence: raw.presence.and_then(PresenceJoin::parse),
            },
            "unsubscribe" => Command::Unsubscribe { identifier },
            "message" => match raw
                .data
                .map(|data| serde_json::from_str::<String>(data.get()))
            {
                Some(Ok(data)) => Command::Message { identifier, data },
                _ => Command::Unknown,
            },
            "whisper" => match raw.data {
                Some(data) => Command::Whisper {
                    identifier,
                    data: data.to_owned(),
                },
                None => Command::Unknown,
            },
            "history" => match raw.history {
                Some(history) => Command::History {
                    identifier,
                    request: HistoryRequest::parse(history),
                },
                None => Command::Unknown,
            },
            "join" => match raw.presence.and_then(PresenceJoin::parse) {
                Some(presence) => Command::Join {
                    identifier,
                    presence,
                },
                None => Command::Unknown,
            },
            "leave" => Command::Leave { identifier },
            "presence" => Command::PresenceInfo { identifier },
            _ => Command::Unknown,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::history::StreamPosition;

    const ID: &str = r#"{"channel":"$pubsub","stream_name":"chat"}"#;

    fn frame(json: serde_json::Value) -> String {
        json.to_string()
    }

    #[test]
    fn parses_the_action_cable_commands() {
        let subscribe = frame(serde_json::json!({"command": "subscribe", "identifier": ID}));
        assert!(
            matches!(Command::parse(&subscribe), Ok(Command::Subscribe { identifier, .. }) if identifier == ID)
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
            matches!(Command::parse(&subscribe), Ok(Command::Subscribe { identifier, .. }) if identifier == odd)
        );
    }

    #[test]
    fn unknown_or_incomplete_commands_are_ignorable() {
        for text in [
            r#"{"command":"history","identifier":"x"}"#,
            r#"{"command":"history","identifier":"x","history":null}"#,
            r#"{"command":"join","identifier":"x"}"#,
            r#"{"command":"join","identifier":"x","presence":{"info":"no id"}}"#,
            r#"{"command":"join","identifier":"x","presence":"u1"}"#,
            r#"{"command":"leave"}"#,
            r#"{"command":"presence"}"#,
            r#"{"command":"whisper","identifier":"x"}"#,
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

    // Exact frames from @anycable/core 1.1.7 (ext-protocol.md §2.3, §4.2).
    const JS_SUBSCRIBE: &str = r#"{"command":"subscribe","identifier":"{\"channel\":\"$pubsub\",\"stream_name\":\"chat_42\"}","history":{"since":1796226713,"streams":{"chat_42":{"epoch":"ep1","offset":6}}},"presence":{"id":"u1","info":{"name":"Ann"}}}"#;
    const JS_HISTORY: &str = r#"{"identifier":"{\"channel\":\"$pubsub\",\"stream_name\":\"chat_42\"}","command":"history","history":{"since":1796226713,"streams":{"chat_42":{"epoch":"ep1","offset":5}}}}"#;
    const JS_ID: &str = r#"{"channel":"$pubsub","stream_name":"chat_42"}"#;

    fn position(epoch: &str, offset: u64) -> StreamPosition {
        StreamPosition {
            epoch: epoch.to_owned(),
            offset,
        }
    }

    #[test]
    fn subscribe_carries_history_and_presence() {
        let Ok(Command::Subscribe {
            identifier,
            history,
            presence,
        }) = Command::parse(JS_SUBSCRIBE)
        else {
            panic!("not a subscribe");
        };
        assert_eq!(identifier, JS_ID);
        assert_eq!(
            history,
            Some(Ok(HistoryRequest {
                since: Some(1796226713),
                streams: vec![("chat_42".to_owned(), position("ep1", 6))],
            }))
        );
        let presence = presence.expect("a join");
        assert_eq!(presence.id, "u1");
        assert_eq!(presence.info.unwrap().get(), r#"{"name":"Ann"}"#);
    }

    #[test]
    fn subscribe_without_history_or_presence_has_none() {
        for text in [
            r#"{"command":"subscribe","identifier":"x"}"#,
            r#"{"command":"subscribe","identifier":"x","history":null,"presence":null}"#,
        ] {
            assert!(
                matches!(
                    Command::parse(text),
                    Ok(Command::Subscribe {
                        history: None,
                        presence: None,
                        ..
                    })
                ),
                "{text}"
            );
        }
    }

    #[test]
    fn subscribe_with_since_false_asks_by_position_only() {
        let text = r#"{"command":"subscribe","identifier":"x","history":{"since":false,"streams":{"s-42":{"epoch":"E","offset":1}}}}"#;
        let Ok(Command::Subscribe { history, .. }) = Command::parse(text) else {
            panic!("not a subscribe");
        };
        assert_eq!(
            history,
            Some(Ok(HistoryRequest {
                since: None,
                streams: vec![("s-42".to_owned(), position("E", 1))],
            }))
        );
    }

    #[test]
    fn a_bad_history_or_presence_still_subscribes() {
        let text = r#"{"command":"subscribe","identifier":"x","history":{"since":"yesterday"},"presence":{"id":7}}"#;
        let Ok(Command::Subscribe {
            identifier,
            history,
            presence,
        }) = Command::parse(text)
        else {
            panic!("not a subscribe");
        };
        assert_eq!(identifier, "x");
        assert_eq!(history, Some(Err(MalformedHistory)));
        assert!(presence.is_none());
    }

    #[test]
    fn the_history_command_with_a_request_good_or_bad() {
        let Ok(Command::History {
            identifier,
            request,
        }) = Command::parse(JS_HISTORY)
        else {
            panic!("not a history command");
        };
        assert_eq!(identifier, JS_ID);
        assert_eq!(
            request,
            Ok(HistoryRequest {
                since: Some(1796226713),
                streams: vec![("chat_42".to_owned(), position("ep1", 5))],
            })
        );
        let malformed = r#"{"command":"history","identifier":"x","history":[1796226713]}"#;
        assert!(matches!(
            Command::parse(malformed),
            Ok(Command::History { identifier, request: Err(MalformedHistory) }) if identifier == "x"
        ));
    }

    #[test]
    fn presence_commands() {
        let join =
            r#"{"command":"join","identifier":"x","presence":{"id":"u1","info":{"name":"Ann"}}}"#;
        match Command::parse(join).unwrap() {
            Command::Join {
                identifier,
                presence,
            } => {
                assert_eq!((identifier.as_str(), presence.id.as_str()), ("x", "u1"));
                assert_eq!(presence.info.unwrap().get(), r#"{"name":"Ann"}"#);
            }
            other => panic!("{other:?}"),
        }
        for leave in [
            r#"{"command":"leave","identifier":"x"}"#,
            r#"{"command":"leave","identifier":"x","presence":{"id":"u1"}}"#,
            r#"{"command":"leave","identifier":"x","presence":"bad"}"#,
        ] {
            assert!(
                matches!(Command::parse(leave), Ok(Command::Leave { identifier }) if identifier == "x"),
                "{leave}"
            );
        }
        for info in [
            r#"{"command":"presence","identifier":"x","data":{}}"#,
            r#"{"command":"presence","identifier":"x","data":{"return_records":false}}"#,
            r#"{"command":"presence","identifier":"x"}"#,
        ] {
            assert!(
                matches!(Command::parse(info), Ok(Command::PresenceInfo { identifier }) if identifier == "x"),
                "{info}"
            );
        }
    }

    #[test]
    fn ping_and_pong_need_no_identifier() {
        assert!(matches!(
            Command::parse(r#"{"command":"ping"}"#),
            Ok(Command::Ping)
        ));
        assert!(matches!(
            Command::parse(r#"{"command":"pong"}"#),
            Ok(Command::Pong)
        ));
        assert!(matches!(
            Command::parse(r#"{"command":"pong","identifier":"x"}"#),
            Ok(Command::Pong)
        ));
    }

    #[test]
    fn command_names_may_be_escaped() {
        let escaped = r#"{"command":"sub\u0073cribe","identifier":"x"}"#;
        assert!(matches!(
            Command::parse(escaped),
            Ok(Command::Subscribe { identifier, .. }) if identifier == "x"
        ));
    }
}
