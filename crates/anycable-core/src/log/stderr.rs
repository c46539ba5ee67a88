//! The default sink: lines on stderr, each written whole so that concurrent events never
//! interleave.

use std::io::Write;

use super::{json, text, time, LogFormat, LogSink, Record};

pub(crate) struct StderrSink {
    format: LogFormat,
}

impl StderrSink {
    pub(crate) fn new(format: LogFormat) -> StderrSink {
        StderrSink { format }
    }
}

impl LogSink for StderrSink {
    fn write(&self, record: &Record<'_>) {
        let time = time::now();
        let line = match self.format {
            LogFormat::Text => text::line(&time, record),
            LogFormat::Json => json::line(&time, record),
        };
        // A closed stderr loses the line; the server carries on.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}
