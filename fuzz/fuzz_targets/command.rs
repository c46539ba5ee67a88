//! The client command parser (`Command::parse`): no panic; what it accepts is a JSON object whose
//! fields serde_json reads the same way; and a parsed command written out again parses to the
//! same command.

#![no_main]

use std::collections::BTreeMap;

use anycable_core::fuzzing::Command;
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
        Command::Subscribe { identifier } => ("subscribe", identifier),
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
        Command::Unknown => return,
    };
    assert_eq!(field("command"), Some(name), "command of {text:?}");
    assert_eq!(
        field("identifier"),
        Some(identifier.as_str()),
        "identifier of {text:?}"
    );
}

/// The command as a client would send it.
fn written(command: &Command) -> String {
    match command {
        Command::Subscribe { identifier } => {
            json!({"command": "subscribe", "identifier": identifier}).to_string()
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
        Command::Unknown => "{}".to_owned(),
    }
}
