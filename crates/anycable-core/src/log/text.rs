//! The `text` format: one line per event, `time LEVEL anycable-rs: message key=value …`.

use std::fmt::Write;

use super::Record;

/// The line for `record` at `time`, with its newline. Values with spaces, quotes, `=` or control
/// characters are quoted (as JSON strings), so every line splits back into its fields.
pub(super) fn line(time: &str, record: &Record<'_>) -> String {
    let mut line = format!(
        "{time} {:<5} anycable-rs: {}",
        record.level.as_str().to_uppercase(),
        record.message
    );
    for (key, value) in record.fields {
        let _ = write!(line, " {key}=");
        if value.is_empty()
            || value.contains(|c: char| c.is_whitespace() || c.is_control() || c == '"' || c == '=')
        {
            line.push_str(&serde_json::to_string(value).expect("a string serializes"));
        } else {
            line.push_str(value);
        }
    }
    line.push('\n');
    line
}
