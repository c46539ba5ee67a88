//! How long and how much a broker keeps.

use std::time::Duration;

use crate::config_error::ConfigError;

/// Which broker keeps history, sessions and presence: the `broker` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BrokerKind {
    /// In this process.
    Memory,
    /// In Redis, shared by every node: one epoch, history, sessions and presence for the cluster.
    Redis,
    /// None: no offsets, no history (every request gets `reject_history`), no resumption, no presence.
    None,
}

impl BrokerKind {
    /// The `broker` option: `"memory"`, `"redis"` or `"none"`.
    pub(crate) fn parse(name: &str) -> Result<BrokerKind, ConfigError> {
        match name {
            "memory" => Ok(BrokerKind::Memory),
            "redis" => Ok(BrokerKind::Redis),
            "none" => Ok(BrokerKind::None),
            other => Err(ConfigError(format!(
                "broker must be \"memory\", \"redis\" or \"none\", got {other:?}"
            ))),
        }
    }
}

/// What a broker keeps, and for how long. The broker works in whole seconds: a fraction of a
/// second counts as a whole one, so a ttl given is never zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokerSettings {
    /// The most messages kept per stream.
    pub history_limit: usize,
    /// How long a message stays in its stream's history.
    pub history_ttl: Duration,
    /// How long a session can be restored after its last store or touch; zero keeps none.
    pub sessions_ttl: Duration,
    /// How long a session's presence lasts after its last join or touch.
    pub presence_ttl: Duration,
}

impl Default for BrokerSettings {
    /// AnyCable's defaults: 100 messages for 300 s, sessions for 300 s, presence for 15 s.
    fn default() -> BrokerSettings {
        BrokerSettings {
            history_limit: 100,
            history_ttl: Duration::from_secs(300),
            sessions_ttl: Duration::from_secs(300),
            presence_ttl: Duration::from_secs(15),
        }
    }
}

/// `duration` in whole seconds, a fraction rounded up.
pub(super) fn whole_seconds(duration: Duration) -> u64 {
    duration
        .as_secs()
        .saturating_add(u64::from(duration.subsec_nanos() > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_broker_option_is_parsed_by_name() {
        assert_eq!(BrokerKind::parse("memory"), Ok(BrokerKind::Memory));
        assert_eq!(BrokerKind::parse("redis"), Ok(BrokerKind::Redis));
        assert_eq!(BrokerKind::parse("none"), Ok(BrokerKind::None));
        let error = BrokerKind::parse("nats").unwrap_err();
        assert_eq!(
            error.0,
            r#"broker must be "memory", "redis" or "none", got "nats""#
        );
    }

    #[test]
    fn fractions_of_a_second_round_up() {
        assert_eq!(whole_seconds(Duration::ZERO), 0);
        assert_eq!(whole_seconds(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(whole_seconds(Duration::from_secs(300)), 300);
        assert_eq!(whole_seconds(Duration::MAX), u64::MAX);
    }
}
