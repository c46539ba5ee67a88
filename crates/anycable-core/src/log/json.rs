//! The `json` format: one object per line, `{"time","level","msg","fields"}`.

use serde_json::{json, Map, Value};

use super::Record;

/// The line for `record` at `time`, with its newline.
pub(super) fn line(time: &str, record: &Record<'_>) -> String {
    let fields: Map<String, Value> = record
        .fields
        .iter()
        .map(|(key, value)| ((*key).to_owned(), Value::String(value.clone())))
        .collect();
    let mut line = json!({
        "time": time,
        "level": record.level.as_str(),
        "msg": record.message,
        "fields": fields,
    })
    .to_string();
    line.push('\n');
    line
}
