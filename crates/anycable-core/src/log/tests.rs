use std::sync::{Arc, Mutex};

use super::*;

/// Keeps what it is given, as `level message k=v …`.
#[derive(Default)]
struct Collected(Mutex<Vec<String>>);

impl LogSink for Collected {
    fn write(&self, record: &Record<'_>) {
        let fields: Vec<String> = record
            .fields
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        self.0.lock().unwrap().push(format!(
            "{} {} {}",
            record.level.as_str(),
            record.message,
            fields.join(" ")
        ));
    }
}

#[test]
fn events_below_the_level_are_dropped_without_evaluating_their_fields() {
    let collected = Arc::new(Collected::default());
    let log = Log::new(Level::Warn, collected.clone());
    let mut evaluated = false;
    let mut field = || {
        evaluated = true;
        "x"
    };
    log!(log, Debug, "hidden", value = field());
    log!(log, Info, format!("hidden {}", 1));
    assert!(!evaluated, "a disabled event's fields are not evaluated");
    log!(log, Warn, "shown", sid = "abc", count = 3);
    log!(log, Error, "also shown");
    assert_eq!(
        *collected.0.lock().unwrap(),
        ["warn shown sid=abc count=3", "error also shown "]
    );
}

#[test]
fn levels_and_formats_parse_from_their_option_names_only() {
    assert_eq!("debug".parse::<Level>().unwrap(), Level::Debug);
    assert_eq!("error".parse::<Level>().unwrap(), Level::Error);
    assert!("DEBUG".parse::<Level>().is_err());
    assert!("trace".parse::<Level>().is_err());
    assert_eq!("json".parse::<LogFormat>().unwrap(), LogFormat::Json);
    assert!("pretty".parse::<LogFormat>().is_err());
    assert!(Level::Debug < Level::Info && Level::Warn < Level::Error);
}

#[test]
fn text_lines_quote_values_that_would_not_split_back() {
    let record = Record {
        level: Level::Warn,
        message: "application subscribe failed",
        fields: &[
            ("sid", "a1".into()),
            ("error", "no \"route\" here".into()),
            ("empty", String::new()),
            ("pair", "a=b".into()),
        ],
    };
    assert_eq!(
        text::line("2026-01-02T03:04:05.006Z", &record),
        "2026-01-02T03:04:05.006Z WARN  anycable-rs: application subscribe failed sid=a1 \
         error=\"no \\\"route\\\" here\" empty=\"\" pair=\"a=b\"\n"
    );
}

#[test]
fn json_lines_are_one_object_with_time_level_msg_and_fields() {
    let record = Record {
        level: Level::Debug,
        message: "session closed",
        fields: &[("sid", "s1".into()), ("reason", "line\nbreak".into())],
    };
    let line = json::line("2026-01-02T03:04:05.006Z", &record);
    assert_eq!(
        line,
        "{\"time\":\"2026-01-02T03:04:05.006Z\",\"level\":\"debug\",\"msg\":\"session closed\",\
         \"fields\":{\"sid\":\"s1\",\"reason\":\"line\\nbreak\"}}\n"
    );
    let value: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        value,
        serde_json::json!({
            "time": "2026-01-02T03:04:05.006Z",
            "level": "debug",
            "msg": "session closed",
            "fields": { "sid": "s1", "reason": "line\nbreak" },
        })
    );
}

#[test]
fn timestamps_are_utc_rfc3339_with_milliseconds() {
    assert_eq!(time::format_millis(0), "1970-01-01T00:00:00.000Z");
    // 2000-02-29 (a leap day in a century leap year) 23:59:59.999
    assert_eq!(
        time::format_millis(951_868_799_999),
        "2000-02-29T23:59:59.999Z"
    );
    assert_eq!(
        time::format_millis(1_798_761_600_001),
        "2027-01-01T00:00:00.001Z"
    );
    assert_eq!(time::now().len(), "1970-01-01T00:00:00.000Z".len());
}
