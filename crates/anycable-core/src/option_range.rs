//! The ranges numeric server options must lie in. `Config::resolve_with` checks them, and the
//! bindings turn seconds into durations through them, so no value can panic (`Duration` from
//! 1e20 seconds) or overflow later (`Instant + interval` in every session).

use std::time::Duration;

use crate::config_error::ConfigError;

/// An option given in seconds, fractions allowed.
#[derive(Debug, Clone, Copy)]
pub struct Seconds {
    /// The option's JS name, as error messages use it.
    pub name: &'static str,
    pub min: f64,
    pub max: f64,
}

impl Seconds {
    /// 10 ms to an hour: shorter floods clients with pings; longer is no keep-alive at all.
    pub const PING_INTERVAL: Seconds = Seconds {
        name: "pingInterval",
        min: 0.01,
        max: 3600.0,
    };
    /// 10 ms to an hour: an application call taking longer is a stuck one.
    pub const RPC_TIMEOUT: Seconds = Seconds {
        name: "rpcTimeout",
        min: 0.01,
        max: 3600.0,
    };

    /// 10 ms to a day: a connection slower than a day to send its request is no client.
    pub const HANDSHAKE_TIMEOUT: Seconds = Seconds {
        name: "handshakeTimeout",
        min: 0.01,
        max: 86_400.0,
    };

    /// A second to a day: how long a stream's messages are kept for history.
    pub const HISTORY_TTL: Seconds = Seconds {
        name: "historyTtl",
        min: 1.0,
        max: 86_400.0,
    };
    /// Up to a day; 0 turns session resumption off.
    pub const SESSIONS_TTL: Seconds = Seconds {
        name: "sessionsTtl",
        min: 0.0,
        max: 86_400.0,
    };
    /// A second to an hour: how long a disconnected session stays present.
    pub const PRESENCE_TTL: Seconds = Seconds {
        name: "presenceTtl",
        min: 1.0,
        max: 3600.0,
    };
    /// Up to an hour; 0 turns the pong requirement off.
    pub const PONG_TIMEOUT: Seconds = Seconds {
        name: "pongTimeout",
        min: 0.0,
        max: 3600.0,
    };

    /// `seconds` as a duration, or an error naming the option and its range (NaN included).
    pub fn duration(&self, seconds: f64) -> Result<Duration, ConfigError> {
        if !(self.min..=self.max).contains(&seconds) {
            return Err(ConfigError(format!(
                "{} must be a number of seconds from {} to {}, got {seconds}",
                self.name, self.min, self.max
            )));
        }
        Duration::try_from_secs_f64(seconds).map_err(|error| ConfigError(error.to_string()))
    }

    /// Whether a duration given directly lies in the range.
    pub fn check(&self, duration: Duration) -> Result<(), ConfigError> {
        self.duration(duration.as_secs_f64()).map(drop)
    }
}

/// An option counting bytes or things; at most `u32::MAX`, which JS numbers and every platform's
/// `usize` hold exactly.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Count {
    /// The option's JS name, as error messages use it.
    pub name: &'static str,
    pub min: u64,
    pub max: u64,
}

impl Count {
    pub(crate) const MAX_MESSAGE_SIZE: Count = Count {
        name: "maxMessageSize",
        min: 1,
        max: u32::MAX as u64,
    };
    pub(crate) const RPC_CONCURRENCY: Count = Count {
        name: "rpcConcurrency",
        min: 1,
        max: u32::MAX as u64,
    };

    pub(crate) const MAX_SUBSCRIPTIONS: Count = Count {
        name: "maxSubscriptions",
        min: 1,
        max: u32::MAX as u64,
    };
    pub(crate) const MAX_OUTGOING_BYTES: Count = Count {
        name: "maxOutgoingBytes",
        min: 1,
        max: u32::MAX as u64,
    };
    pub(crate) const COMMAND_RATE: Count = Count {
        name: "commandRate",
        min: 1,
        max: u32::MAX as u64,
    };
    pub(crate) const MAX_PENDING_CONNECTIONS: Count = Count {
        name: "maxPendingConnections",
        min: 1,
        max: u32::MAX as u64,
    };
    /// 0 = unlimited.
    pub(crate) const MAX_CONNECTIONS: Count = Count {
        name: "maxConnections",
        min: 0,
        max: u32::MAX as u64,
    };

    /// Messages kept per stream: history is for reconnects, not an archive.
    pub(crate) const HISTORY_LIMIT: Count = Count {
        name: "historyLimit",
        min: 1,
        max: 100_000,
    };

    /// An error naming the option and its range unless `min <= value <= max`.
    pub(crate) fn check(&self, value: usize) -> Result<(), ConfigError> {
        match u64::try_from(value) {
            Ok(value) if (self.min..=self.max).contains(&value) => Ok(()),
            _ => Err(ConfigError(format!(
                "{} must be an integer from {} to {}, got {value}",
                self.name, self.min, self.max
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_in_range_become_durations() {
        let range = Seconds::PING_INTERVAL;
        assert_eq!(range.duration(0.01).unwrap(), Duration::from_millis(10));
        assert_eq!(range.duration(3600.0).unwrap(), Duration::from_secs(3600));
    }

    #[test]
    fn seconds_out_of_range_are_errors_naming_the_option() {
        for bad in [
            0.0,
            -1.0,
            0.001,
            3600.5,
            1e19,
            1e300,
            f64::NAN,
            f64::INFINITY,
        ] {
            let error = Seconds::RPC_TIMEOUT.duration(bad).unwrap_err();
            assert!(error.0.starts_with("rpcTimeout must be"), "{bad}: {error}");
        }
        assert!(Seconds::PING_INTERVAL
            .check(Duration::from_secs(u64::MAX))
            .is_err());
    }

    #[test]
    fn counts_are_checked_against_their_range() {
        assert!(Count::RPC_CONCURRENCY.check(1).is_ok());
        assert!(Count::MAX_MESSAGE_SIZE.check(u32::MAX as usize).is_ok());
        let error = Count::MAX_MESSAGE_SIZE.check(0).unwrap_err();
        assert!(error.0.starts_with("maxMessageSize must be"), "{error}");
        assert!(Count::RPC_CONCURRENCY.check(u32::MAX as usize + 1).is_err());
    }
}
