//! The `json` format: one object per line, `{"time","level","msg","fields"}` in that order, the
//! fields in the event's order (serde_json's `Map` would sort them).

use std::fmt::Write;

use super::Record;

/// The line for `record` at `time`, with its newline.
pub(super) fn line(time: &str, record: &Record<'_>) -> String {
    let mut line = format!(
        r#"{{"time":{},"level":"{}","msg":{},"fields":{{"#,
        string(time),
        record.level.as_str(),
        string(record.message)
    );
    for (index, (key, value)) in record.fields.iter().enumerate() {
        let comma = if index == 0 { "" } else { "," };
        let _ = write!(line, "{comma}{}:{}", string(key), string(value));
    }
    line.push_str("}}\n");
    line
}

/// `text` as a JSON string.
fn string(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}
