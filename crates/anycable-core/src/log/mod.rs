//! The server's log: events with a level, a message and `key=value` fields, written to stderr as
//! text or JSON lines, or handed to an embedder's sink (the Node `logger` option).
//!
//! Each server has its own [`Log`] handle, passed to the parts that log, rather than a
//! process-global subscriber (`tracing`'s dispatch): several servers run in one Node process, each
//! with its own level and logger, and a handle cannot be lost across a `tokio::spawn` the way a
//! task's current dispatch can — code that logs without one does not compile. The handle holds
//! its level inline, so a disabled event costs one comparison and formats nothing ([`log!`]).
//!
//! What is logged never holds a token, a secret, a broadcast or RPC key, or a Redis password
//! (URLs go through `redis_link::redact`).

mod json;
mod stderr;
mod text;
mod time;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::config_error::ConfigError;

pub(crate) use stderr::StderrSink;

/// How much is logged: this level and the ones above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Every connection's start and end, and why one was refused.
    Debug,
    /// The server's start, and what changes its state (a Redis connection restored).
    Info,
    /// A failure the server carries on after (an application call, a Redis command, a broadcast).
    Warn,
    /// A failure that loses work (a broadcast dropped, a Redis connection lost).
    Error,
}

impl Level {
    /// The level's name, as `logLevel` takes it and the logger's method is called.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

impl FromStr for Level {
    type Err = ConfigError;

    fn from_str(name: &str) -> Result<Level, ConfigError> {
        match name {
            "debug" => Ok(Level::Debug),
            "info" => Ok(Level::Info),
            "warn" => Ok(Level::Warn),
            "error" => Ok(Level::Error),
            _ => Err(ConfigError(format!(
                "logLevel must be debug, info, warn or error, got {name:?}"
            ))),
        }
    }
}

/// How stderr lines are written when no logger is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// `time LEVEL anycable-rs: message key=value …`
    Text,
    /// `{"time":…,"level":…,"msg":…,"fields":{…}}`
    Json,
}

impl FromStr for LogFormat {
    type Err = ConfigError;

    fn from_str(name: &str) -> Result<LogFormat, ConfigError> {
        match name {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(ConfigError(format!(
                "logFormat must be text or json, got {name:?}"
            ))),
        }
    }
}

/// One event, as a sink receives it.
#[derive(Debug)]
pub struct Record<'a> {
    pub level: Level,
    /// What happened, in a few words (`session closed`, `application subscribe failed`).
    pub message: &'a str,
    /// Field names and values, in the order the event gives them.
    pub fields: &'a [(&'static str, String)],
}

/// Where events go. Called on the thread that logs (a tokio worker): it must not block long.
pub trait LogSink: Send + Sync {
    /// Writes (or queues) one event; never fails: a sink that cannot write drops it.
    fn write(&self, record: &Record<'_>);
}

/// An embedder's sink for `Config::logger` (cloneable and printable, as `Config` is).
#[derive(Clone)]
pub struct Logger(pub Arc<dyn LogSink>);

impl fmt::Debug for Logger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Logger(..)")
    }
}

/// One server's log: its level and its sink. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Log {
    level: Level,
    sink: Arc<dyn LogSink>,
}

impl Log {
    pub(crate) fn new(level: Level, sink: Arc<dyn LogSink>) -> Log {
        Log { level, sink }
    }

    /// Text lines on stderr at `info` (the defaults), for tests and parts built without options.
    #[cfg(test)]
    pub(crate) fn stderr() -> Log {
        Log::new(Level::Info, Arc::new(StderrSink::new(LogFormat::Text)))
    }

    /// Whether events at `level` are written; [`log!`] asks before building anything.
    #[inline]
    pub(crate) fn enabled(&self, level: Level) -> bool {
        level >= self.level
    }

    pub(crate) fn write(&self, level: Level, message: &str, fields: &[(&'static str, String)]) {
        self.sink.write(&Record {
            level,
            message,
            fields,
        });
    }
}

impl fmt::Debug for Log {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Log").field("level", &self.level).finish()
    }
}

/// `log!(log, Warn, "message", key = value, …)`: the message and the values (anything
/// `Display`) are evaluated and formatted only when the level is enabled.
macro_rules! log {
    ($log:expr, $level:ident, $message:expr $(, $key:ident = $value:expr)* $(,)?) => {{
        let log: &$crate::log::Log = &$log;
        if log.enabled($crate::log::Level::$level) {
            log.write(
                $crate::log::Level::$level,
                ::std::convert::AsRef::<str>::as_ref(&$message),
                &[$((stringify!($key), ::std::string::ToString::to_string(&$value))),*],
            );
        }
    }};
}
pub(crate) use log;

#[cfg(test)]
mod tests;
