use serde::Serialize;
use serde_json::value::RawValue;
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// A serialised server frame, cheap to clone: one broadcast frame is shared by every subscriber.
pub type Frame = Utf8Bytes;

/// Why the server ends a session, sent as `{"type":"disconnect","reason":…}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisconnectReason {
    Unauthorized,
    TokenExpired,
    ServerRestart,
    TooSlow,
    /// The application asked to close the connection.
    Remote,
}

impl DisconnectReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::Unauthorized => "unauthorized",
            DisconnectReason::TokenExpired => "token_expired",
            DisconnectReason::ServerRestart => "server_restart",
            DisconnectReason::TooSlow => "too_slow",
            DisconnectReason::Remote => "remote",
        }
    }

    /// Whether the client should reconnect. Auth failures must say `false`, or the JS client
    /// loops instead of calling its token refresher.
    pub fn reconnect(self) -> bool {
        matches!(
            self,
            DisconnectReason::ServerRestart | DisconnectReason::TooSlow
        )
    }
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Typed<'a> {
    Welcome { sid: &'a str },
    Ping { message: u64 },
    ConfirmSubscription { identifier: &'a str },
    RejectSubscription { identifier: &'a str },
    Disconnect { reason: &'a str, reconnect: bool },
}

fn frame(typed: Typed) -> Frame {
    serde_json::to_string(&typed)
        .expect("frames of strings and numbers always serialise")
        .into()
}

pub fn welcome(sid: &str) -> Frame {
    frame(Typed::Welcome { sid })
}

pub fn ping(unix_seconds: u64) -> Frame {
    frame(Typed::Ping {
        message: unix_seconds,
    })
}

pub fn confirm(identifier: &str) -> Frame {
    frame(Typed::ConfirmSubscription { identifier })
}

pub fn reject(identifier: &str) -> Frame {
    frame(Typed::RejectSubscription { identifier })
}

pub fn disconnect(reason: DisconnectReason) -> Frame {
    frame(Typed::Disconnect {
        reason: reason.as_str(),
        reconnect: reason.reconnect(),
    })
}

/// `{"identifier":<identifier>,"message":<message>}`; `message` is JSON text already.
pub fn broadcast_frame(identifier: &str, message: &RawValue) -> Frame {
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
            parsed(ping(1700000000)),
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
}
