//! Every Redis call runs against a deadline: a stalled Redis (the process stopped, its sockets
//! still open) never answers and never closes, so only a timeout notices it.

use std::fmt;
use std::future::Future;
use std::time::Duration;

/// How long a connection attempt (TCP, handshake, `SUBSCRIBE`) may take.
pub(crate) const CONNECT_DEADLINE: Duration = Duration::from_secs(2);
/// How long a command (`PUBLISH`, the subscription's `PING`) may wait for its reply.
pub(crate) const REPLY_DEADLINE: Duration = Duration::from_secs(2);

/// Why a call to Redis failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// No answer before the deadline.
    Silent(Duration),
    Error(redis::RedisError),
}

impl Failure {
    /// A short reason for the outage log line, never quoting Redis (errors may echo the URL).
    pub(crate) fn reason(&self) -> &'static str {
        match self {
            Failure::Silent(_) => "no reply in time",
            Failure::Error(_) => "connection error",
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Silent(deadline) => write!(f, "no reply within {} s", deadline.as_secs()),
            Failure::Error(error) => error.fmt(f),
        }
    }
}

/// Runs `call`, failing if it takes longer than `deadline`.
pub(crate) async fn within<T>(
    deadline: Duration,
    call: impl Future<Output = redis::RedisResult<T>>,
) -> Result<T, Failure> {
    match tokio::time::timeout(deadline, call).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(Failure::Error(error)),
        Err(_) => Err(Failure::Silent(deadline)),
    }
}
