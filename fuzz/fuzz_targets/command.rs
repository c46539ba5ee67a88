//! The client command parser (`Command::parse`): no panic; what it accepts is a JSON object whose
//! fields (history requests and presence joins included) serde_json reads the same way; and a
//! parsed command written out again parses to the same command.

#![no_main]

use std::collections::BTreeMap;

use anycable_core::fuzzing::{Command, HistoryRequest, MalformedHistory, PresenceJoin};
use libfuzzer_sys::fuzz_target;
use serde::de::IgnoredAny;
use serde_json::{json, Map, Value};

/// A JSON object's members, their values skipped as serde_json skips ignored fields.
type Members = BTreeMap<String, IgnoredAny>;

fuzz_target!(|input: &[u8]| {
    // Text frames are UTF-8 by the time the session parses them.
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    let Ok(command) = Command::parse(text) else {
        return;
    };
    assert!(
        serde_json::from_str::<Members>(text).is_ok(),
        "accepted {text:?}, which serde_json does not read as an object"
    );
    // Numbers out of range and lone surrogate escapes in members a command ignores are skipped
    // unchecked (as serde_json skips them); `Value` refuses them.
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(text) else {
        return;
    };
    agrees_with_serde_json(&command, &fields, text);
    let again = Command::parse(&written(&command)).expect("a written command parses");
    assert_eq!(
        format!("{command:?}"),
        format!("{again:?}"),
        "{text:?} changed on a round trip"
    );
});

fn agrees_with_serde_json(command: &Command, fields: &Map<String, Value>, text: &str) {
    let field = |name: &str| fields.get(name).and_then(Value::as_str);
    let (name, identifier) = match command {
        Command::Subscribe {
            identifier,
            history,
            presence,
        } => {
            if let Some(history) = history {
                history_agrees(history, &fields["history"], text);
            }
            if let Some(presence) = presence {
                presence_agrees(presence, &fields["presence"], text);
            }
            ("subscribe", identifier)
        }
        Command::Unsubscribe { identifier } => ("unsubscribe", identifier),
        Command::Message { identifier, data } => {
            assert_eq!(field("data"), Some(data.as_str()), "data of {text:?}");
            ("message", identifier)
        }
        Command::Whisper { identifier, data } => {
            let data: Value = serde_json::from_str(data.get()).expect("whisper data is JSON");
            assert_eq!(fields.get("data"), Some(&data), "data of {text:?}");
            ("whisper", identifier)
        }
        Command::History {
            identifier,
            request,
        } => {
            history_agrees(request, &fields["history"], text);
            ("history", identifier)
        }
        Command::Join {
            identifier,
            presence,
        } => {
            presence_agrees(presence, &fields["presence"], text);
            ("join", identifier)
        }
        Command::Leave { identifier } => ("leave", identifier),
        Command::PresenceInfo { identifier } => ("presence", identifier),
        Command::Ping => return assert_eq!(field("command"), Some("ping"), "{text:?}"),
        Command::Pong => return assert_eq!(field("command"), Some("pong"), "{text:?}"),
        Command::Unknown => return,
    };
    assert_eq!(field("command"), Some(name), "command of {text:?}");
    assert_eq!(
        field("identifier"),
        Some(identifier.as_str()),
        "identifier of {text:?}"
    );
}

/// A history request read as serde_json reads it: `since` an integer (0, `false`, `null` or
/// missing for none), `streams` an object of `{epoch, offset}` (its last entry per stream).
fn history_agrees(parsed: &Result<HistoryRequest, MalformedHistory>, value: &Value, text: &str) {
    let Ok(request) = parsed else {
        return;
    };
    let since = match value.get("since") {
        None | Some(Value::Null | Value::Bool(false)) => None,
        Some(since) => since.as_u64().filter(|&seconds| seconds > 0),
    };
    assert_eq!(request.since, since, "since of {text:?}");
    let expected: BTreeMap<&str, (&str, u64)> = value
        .get("streams")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(stream, position)| {
            let epoch = position["epoch"].as_str().expect("an accepted epoch");
            let offset = position["offset"].as_u64().expect("an accepted offset");
            (stream.as_str(), (epoch, offset))
        })
        .collect();
    let parsed: BTreeMap<&str, (&str, u64)> = request
        .streams
        .iter()
        .map(|(stream, position)| (stream.as_str(), (position.epoch.as_str(), position.offset)))
        .collect();
    assert_eq!(
        parsed.len(),
        request.streams.len(),
        "repeated streams in {text:?}"
    );
    assert_eq!(parsed, expected, "streams of {text:?}");
}

fn presence_agrees(presence: &PresenceJoin, value: &Value, text: &str) {
    assert_eq!(
        value["id"].as_str(),
        Some(presence.id.as_str()),
        "presence id of {text:?}"
    );
    let info = presence
        .info
        .as_ref()
        .map(|info| serde_json::from_str::<Value>(info.get()).expect("presence info is JSON"));
    let sent = value.get("info").filter(|info| !info.is_null());
    assert_eq!(info.as_ref(), sent, "presence info of {text:?}");
}

/// The command as a client would send it.
fn written(command: &Command) -> String {
    match command {
        Command::Subscribe {
            identifier,
            history,
            presence,
        } => {
            let mut members = vec![
                r#""command":"subscribe""#.to_owned(),
                format!(r#""identifier":{}"#, Value::from(identifier.as_str())),
            ];
            if let Some(history) = history {
                members.push(format!(r#""history":{}"#, written_history(history)));
            }
            if let Some(presence) = presence {
                members.push(format!(r#""presence":{}"#, written_presence(presence)));
            }
            format!("{{{}}}", members.join(","))
        }
        Command::Unsubscribe { identifier } => {
            json!({"command": "unsubscribe", "identifier": identifier}).to_string()
        }
        Command::Message { identifier, data } => {
            json!({"command": "message", "identifier": identifier, "data": data}).to_string()
        }
        Command::Whisper { identifier, data } => format!(
            r#"{{"command":"whisper","identifier":{},"data":{}}}"#,
            Value::from(identifier.as_str()),
            data.get()
        ),
        Command::History {
            identifier,
            request,
        } => format!(
            r#"{{"command":"history","identifier":{},"history":{}}}"#,
            Value::from(identifier.as_str()),
            written_history(request)
        ),
        Command::Join {
            identifier,
            presence,
        } => format!(
            r#"{{"command":"join","identifier":{},"presence":{}}}"#,
            Value::from(identifier.as_str()),
            written_presence(presence)
        ),
        Command::Leave { identifier } => {
            json!({"command": "leave", "identifier": identifier}).to_string()
        }
        Command::PresenceInfo { identifier } => {
            json!({"command": "presence", "identifier": identifier, "data": {}}).to_string()
        }
        Command::Ping => json!({"command": "ping"}).to_string(),
        Command::Pong => json!({"command": "pong"}).to_string(),
        Command::Unknown => "{}".to_owned(),
    }
}

/// A history request as the JS client writes it; a malformed one as a string (also malformed).
fn written_history(history: &Result<HistoryRequest, MalformedHistory>) -> String {
    let Ok(request) = history else {
        return json!("malformed").to_string();
    };
    let streams: Vec<String> = request
        .streams
        .iter()
        .map(|(stream, position)| {
            format!(
                "{}:{}",
                Value::from(stream.as_str()),
                json!({"epoch": position.epoch, "offset": position.offset})
            )
        })
        .collect();
    format!(
        r#"{{"since":{},"streams":{{{}}}}}"#,
        request.since.map_or(Value::Bool(false), Value::from),
        streams.join(",")
    )
}

fn written_presence(presence: &PresenceJoin) -> String {
    match &presence.info {
        Some(info) => format!(
            r#"{{"id":{},"info":{}}}"#,
            Value::from(presence.id.as_str()),
            info.get()
        ),
        None => json!({"id": presence.id}).to_string(),
    }
}
