use std::time::Duration;

use serde::Serialize;
use serde_json::value::RawValue;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::keepalive::TimestampPrecision;

/// A serialised server frame, cheap to clone: one broadcast frame is shared by every subscriber.
pub(crate) type Frame = Utf8Bytes;

/// Why the server ends a session, sent as `{"type":"disconnect","reason":…}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DisconnectReason {
    Unauthorized,
    TokenExpired,
    ServerRestart,
    TooSlow,
    /// An extended-protocol client sent nothing (not even a pong) within the pong timeout.
    NoPong,
    /// The application asked to close the connection.
    Remote,
}

impl DisconnectReason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::Unauthorized => "unauthorized",
            DisconnectReason::TokenExpired => "token_expired",
            DisconnectReason::ServerRestart => "server_restart",
            DisconnectReason::TooSlow => "too_slow",
            DisconnectReason::NoPong => "no_pong",
            DisconnectReason::Remote => "remote",
        }
    }

    /// Whether the client should reconnect. Auth failures must say `false`, or the JS client
    /// loops instead of calling its token refresher; a lost connection (`no_pong`) is worth
    /// retrying, as the reference server says.
    pub(crate) fn reconnect(self) -> bool {
        matches!(
            self,
            DisconnectReason::ServerRestart | DisconnectReason::TooSlow | DisconnectReason::NoPong
        )
    }
}

/// Where a kept (non-transient) message sits in its stream's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StreamOffset<'a> {
    /// The stream name (sent as `stream_id`).
    pub stream: &'a str,
    /// The server's epoch: offsets from another epoch mean nothing here.
    pub epoch: &'a str,
    /// The message's place in the stream, from 1.
    pub offset: u64,
}

/// A change of, or an answer about, a stream's presence set: the `message` of a presence frame.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PresenceEvent<'a> {
    /// A new presence id on the stream (sent to every subscriber, the joiner too).
    Join {
        id: &'a str,
        info: Option<&'a RawValue>,
    },
    /// The last session with this presence id left.
    Leave { id: &'a str },
    /// The reply to a `presence` command: everyone present, one record per id.
    Info { records: &'a [PresenceRecord<'a>] },
    /// The presence set could not be read (no broker supports it).
    Error,
}

/// One presence id on a stream and the info it joined with.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct PresenceRecord<'a> {
    /// The presence id (a user, typically).
    pub id: &'a str,
    /// The info of the latest join with this id; left out when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info: Option<&'a RawValue>,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Typed<'a> {
    Welcome {
        sid: &'a str,
    },
    #[serde(rename = "welcome")]
    RestoredWelcome {
        sid: &'a str,
        restored: bool,
        restored_ids: Vec<&'a str>,
    },
    Ping {
        message: u64,
    },
    Pong,
    ConfirmSubscription {
        identifier: &'a str,
    },
    RejectSubscription {
        identifier: &'a str,
    },
    ConfirmHistory {
        identifier: &'a str,
    },
    RejectHistory {
        identifier: &'a str,
    },
    Presence {
        identifier: &'a str,
        message: PresenceMessage<'a>,
    },
    Disconnect {
        reason: &'a str,
        reconnect: bool,
    },
}

/// The wire shape of a [`PresenceEvent`]: `total` counts ids; `records` is left out when empty.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum PresenceMessage<'a> {
    Join {
        id: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        info: Option<&'a RawValue>,
    },
    Leave {
        id: &'a str,
    },
    Info {
        total: usize,
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        records: &'a [PresenceRecord<'a>],
    },
    Error {
        total: usize,
    },
}

fn frame(typed: Typed) -> Frame {
    serde_json::to_string(&typed)
        .expect("frames of strings, numbers and raw JSON always serialise")
        .into()
}

pub(crate) fn welcome(sid: &str) -> Frame {
    frame(Typed::Welcome { sid })
}

/// The welcome of a resumed session: its new `sid` and the identifiers it is subscribed to again
/// (`restored_ids` is always present, `[]` when empty: the JS client takes a missing list for
/// "everything was restored").
pub(crate) fn restored_welcome<'a>(
    sid: &'a str,
    restored_ids: impl IntoIterator<Item = &'a str>,
) -> Frame {
    frame(Typed::RestoredWelcome {
        sid,
        restored: true,
        restored_ids: restored_ids.into_iter().collect(),
    })
}

/// `{"type":"ping","message":<now since the Unix epoch, in the connection's precision>}`.
pub(crate) fn ping(unix_time: Duration, precision: TimestampPrecision) -> Frame {
    frame(Typed::Ping {
        message: precision.timestamp(unix_time),
    })
}

/// The answer to the client's `{"command":"ping"}`.
pub(crate) fn pong() -> Frame {
    frame(Typed::Pong)
}

pub(crate) fn confirm(identifier: &str) -> Frame {
    frame(Typed::ConfirmSubscription { identifier })
}

pub(crate) fn reject(identifier: &str) -> Frame {
    frame(Typed::RejectSubscription { identifier })
}

/// Sent after the replayed messages: the subscription missed nothing else.
pub(crate) fn confirm_history(identifier: &str) -> Frame {
    frame(Typed::ConfirmHistory { identifier })
}

/// Sent instead of any replay: the history asked for is gone (or was never kept).
pub(crate) fn reject_history(identifier: &str) -> Frame {
    frame(Typed::RejectHistory { identifier })
}

/// `{"type":"presence","identifier":…,"message":{"type":"join"|"leave"|"info"|"error",…}}`.
pub(crate) fn presence(identifier: &str, event: PresenceEvent) -> Frame {
    let message = match event {
        PresenceEvent::Join { id, info } => PresenceMessage::Join { id, info },
        PresenceEvent::Leave { id } => PresenceMessage::Leave { id },
        PresenceEvent::Info { records } => PresenceMessage::Info {
            total: records.len(),
            records,
        },
        PresenceEvent::Error => PresenceMessage::Error { total: 0 },
    };
    frame(Typed::Presence {
        identifier,
        message,
    })
}

pub(crate) fn disconnect(reason: DisconnectReason) -> Frame {
    frame(Typed::Disconnect {
        reason: reason.as_str(),
        reconnect: reason.reconnect(),
    })
}

/// `{"identifier":<identifier>,"message":<message>}` for a transient message (a whisper, a
/// `transient` publication, or any without a broker); `message` is JSON text already.
pub(crate) fn broadcast_frame(identifier: &str, message: &RawValue) -> Frame {
    #[derive(Serialize)]
    struct Broadcast<'a> {
        identifier: &'a str,
        message: &'a RawValue,
    }
    serde_json::to_string(&Broadcast {
        identifier,
        message,
    })
    .expect("a string and raw JSON always serialise")
    .into()
}

/// `{"identifier":…,"message":…,"stream_id":…,"epoch":…,"offset":…}`, in that order, for a
/// message kept in history: live and replayed alike.
pub(crate) fn stored_broadcast_frame(
    identifier: &str,
    message: &RawValue,
    at: StreamOffset,
) -> Frame {
    #[derive(Serialize)]
    struct StoredBroadcast<'a> {
        identifier: &'a str,
        message: &'a RawValue,
        stream_id: &'a str,
        epoch: &'a str,
        offset: u64,
    }
    serde_json::to_string(&StoredBroadcast {
        identifier,
        message,
        stream_id: at.stream,
        epoch: at.epoch,
        offset: at.offset,
    })
    .expect("strings, a number and raw JSON always serialise")
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn parsed(frame: Frame) -> Value {
        serde_json::from_str(frame.as_str()).unwrap()
    }

    #[test]
    fn frames_have_the_action_cable_shapes() {
        assert_eq!(
            parsed(welcome("a\"b")),
            json!({"type": "welcome", "sid": "a\"b"})
        );
        assert_eq!(
            parsed(ping(
                Duration::from_secs(1700000000),
                TimestampPrecision::Seconds
            )),
            json!({"type": "ping", "message": 1700000000})
        );
        assert_eq!(
            parsed(confirm(r#"{"channel":"X"}"#)),
            json!({"type": "confirm_subscription", "identifier": "{\"channel\":\"X\"}"})
        );
        assert_eq!(
            parsed(reject("i")),
            json!({"type": "reject_subscription", "identifier": "i"})
        );
    }

    #[test]
    fn disconnects_say_whether_to_reconnect() {
        assert_eq!(
            parsed(disconnect(DisconnectReason::Unauthorized)),
            json!({"type": "disconnect", "reason": "unauthorized", "reconnect": false})
        );
        assert_eq!(
            parsed(disconnect(DisconnectReason::TokenExpired)),
            json!({"type": "disconnect", "reason": "token_expired", "reconnect": false})
        );
        assert_eq!(
            parsed(disconnect(DisconnectReason::ServerRestart)),
            json!({"type": "disconnect", "reason": "server_restart", "reconnect": true})
        );
        assert_eq!(
            parsed(disconnect(DisconnectReason::TooSlow)),
            json!({"type": "disconnect", "reason": "too_slow", "reconnect": true})
        );
    }

    #[test]
    fn broadcast_embeds_the_message_json() {
        let message = RawValue::from_string(r#"{"text":"hi","n":[1,2]}"#.into()).unwrap();
        assert_eq!(
            parsed(broadcast_frame("id", &message)),
            json!({"identifier": "id", "message": {"text": "hi", "n": [1, 2]}})
        );
    }

    fn raw(json: &str) -> Box<RawValue> {
        RawValue::from_string(json.to_owned()).unwrap()
    }

    #[test]
    fn no_pong_asks_the_client_to_reconnect() {
        assert_eq!(
            disconnect(DisconnectReason::NoPong).as_str(),
            r#"{"type":"disconnect","reason":"no_pong","reconnect":true}"#
        );
    }

    #[test]
    fn stored_broadcasts_carry_their_stream_position_last() {
        // The exact string of the reference server's test (ext-protocol.md §2.1).
        let message = raw(r#""Alice: Hey!""#);
        let at = StreamOffset {
            stream: "messages_1",
            epoch: "2022",
            offset: 1,
        };
        assert_eq!(
            stored_broadcast_frame("chat_1", &message, at).as_str(),
            r#"{"identifier":"chat_1","message":"Alice: Hey!","stream_id":"messages_1","epoch":"2022","offset":1}"#
        );
        let quoted = StreamOffset {
            stream: "a\"b",
            epoch: "E",
            offset: u64::MAX,
        };
        assert_eq!(
            parsed(stored_broadcast_frame(
                r#"{"channel":"X"}"#,
                &raw(r#"{"n":1}"#),
                quoted
            )),
            json!({"identifier": "{\"channel\":\"X\"}", "message": {"n": 1}, "stream_id": "a\"b", "epoch": "E", "offset": u64::MAX})
        );
    }

    #[test]
    fn transient_broadcasts_have_no_stream_position() {
        assert_eq!(
            broadcast_frame("id", &raw(r#"{"event":"typing"}"#)).as_str(),
            r#"{"identifier":"id","message":{"event":"typing"}}"#
        );
    }

    #[test]
    fn history_answers() {
        assert_eq!(
            confirm_history("test_channel").as_str(),
            r#"{"type":"confirm_history","identifier":"test_channel"}"#
        );
        assert_eq!(
            reject_history("test_channel").as_str(),
            r#"{"type":"reject_history","identifier":"test_channel"}"#
        );
    }

    #[test]
    fn restored_welcomes_always_list_the_restored_identifiers() {
        assert_eq!(
            restored_welcome("214", ["fruits_channel"]).as_str(),
            r#"{"type":"welcome","sid":"214","restored":true,"restored_ids":["fruits_channel"]}"#
        );
        assert_eq!(
            restored_welcome("S2", []).as_str(),
            r#"{"type":"welcome","sid":"S2","restored":true,"restored_ids":[]}"#
        );
        let identifiers = [
            r#"{"channel":"$pubsub","stream_name":"chat_42"}"#.to_owned(),
            "b".to_owned(),
        ];
        assert_eq!(
            parsed(restored_welcome(
                "S3",
                identifiers.iter().map(String::as_str)
            )),
            json!({"type": "welcome", "sid": "S3", "restored": true, "restored_ids": [identifiers[0], "b"]})
        );
    }

    #[test]
    fn a_fresh_welcome_says_nothing_of_restoring() {
        assert_eq!(welcome("S1").as_str(), r#"{"type":"welcome","sid":"S1"}"#);
    }

    #[test]
    fn pong_answers_a_client_ping() {
        assert_eq!(pong().as_str(), r#"{"type":"pong"}"#);
    }

    #[test]
    fn pings_in_the_connections_precision() {
        let now = Duration::new(1_796_226_712, 345_678_901);
        assert_eq!(
            ping(now, TimestampPrecision::Seconds).as_str(),
            r#"{"type":"ping","message":1796226712}"#
        );
        assert_eq!(
            ping(now, TimestampPrecision::Milliseconds).as_str(),
            r#"{"type":"ping","message":1796226712345}"#
        );
        assert_eq!(
            ping(now, TimestampPrecision::Nanoseconds).as_str(),
            r#"{"type":"ping","message":1796226712345678901}"#
        );
    }

    #[test]
    fn presence_events_and_replies() {
        let id = r#"{"channel":"$pubsub","stream_name":"chat_42"}"#;
        let ann = raw(r#"{"name":"Ann"}"#);
        assert_eq!(
            presence(
                id,
                PresenceEvent::Join {
                    id: "u1",
                    info: Some(&ann)
                }
            )
            .as_str(),
            r#"{"type":"presence","identifier":"{\"channel\":\"$pubsub\",\"stream_name\":\"chat_42\"}","message":{"type":"join","id":"u1","info":{"name":"Ann"}}}"#
        );
        assert_eq!(
            presence(
                "i",
                PresenceEvent::Join {
                    id: "u9",
                    info: None
                }
            )
            .as_str(),
            r#"{"type":"presence","identifier":"i","message":{"type":"join","id":"u9"}}"#
        );
        assert_eq!(
            presence("i", PresenceEvent::Leave { id: "u1" }).as_str(),
            r#"{"type":"presence","identifier":"i","message":{"type":"leave","id":"u1"}}"#
        );
        let x = raw(r#""x""#);
        let records = [
            PresenceRecord {
                id: "u1",
                info: Some(&ann),
            },
            PresenceRecord {
                id: "u2",
                info: None,
            },
            PresenceRecord {
                id: "u9",
                info: Some(&x),
            },
        ];
        assert_eq!(
            presence("i", PresenceEvent::Info { records: &records }).as_str(),
            r#"{"type":"presence","identifier":"i","message":{"type":"info","total":3,"records":[{"id":"u1","info":{"name":"Ann"}},{"id":"u2"},{"id":"u9","info":"x"}]}}"#
        );
        assert_eq!(
            presence("i", PresenceEvent::Info { records: &[] }).as_str(),
            r#"{"type":"presence","identifier":"i","message":{"type":"info","total":0}}"#
        );
        assert_eq!(
            presence("i", PresenceEvent::Error).as_str(),
            r#"{"type":"presence","identifier":"i","message":{"type":"error","total":0}}"#
        );
    }
}
