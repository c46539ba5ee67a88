//! Where broadcasts come from and where they go between nodes: the `broadcastAdapter` and
//! `pubsub` options, parsed from their names here and nowhere else.

use crate::config_error::ConfigError;

/// Where applications send broadcasts from outside this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BroadcastAdapter {
    /// Only the HTTP broadcast endpoint.
    Http,
    /// Also `PUBLISH <redisChannel>`.
    Redis,
    /// Also `XADD <redisxStream>` entries, read through a consumer group: one node takes each.
    Redisx,
}

impl BroadcastAdapter {
    /// The `broadcastAdapter` option: `"http"`, `"redis"` or `"redisx"`.
    pub(crate) fn parse(name: &str) -> Result<BroadcastAdapter, ConfigError> {
        match name {
            "http" => Ok(BroadcastAdapter::Http),
            "redis" => Ok(BroadcastAdapter::Redis),
            "redisx" => Ok(BroadcastAdapter::Redisx),
            other => Err(ConfigError(format!(
                "broadcastAdapter must be \"http\", \"redis\" or \"redisx\", got {other:?}"
            ))),
        }
    }
}

/// How a broadcast made on one node reaches the other nodes' subscribers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PubSub {
    /// It does not: each node delivers only what is broadcast to it.
    None,
    /// Through Redis.
    Redis,
}

impl PubSub {
    /// The `pubsub` option: `"none"` or `"redis"`.
    pub(crate) fn parse(name: &str) -> Result<PubSub, ConfigError> {
        match name {
            "none" => Ok(PubSub::None),
            "redis" => Ok(PubSub::Redis),
            other => Err(ConfigError(format!(
                "pubsub must be \"none\" or \"redis\", got {other:?}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_known_names_parse_and_errors_name_the_option() {
        assert_eq!(BroadcastAdapter::parse("http"), Ok(BroadcastAdapter::Http));
        assert_eq!(
            BroadcastAdapter::parse("redis"),
            Ok(BroadcastAdapter::Redis)
        );
        assert_eq!(
            BroadcastAdapter::parse("redisx"),
            Ok(BroadcastAdapter::Redisx)
        );
        assert_eq!(
            BroadcastAdapter::parse("kafka").unwrap_err().0,
            "broadcastAdapter must be \"http\", \"redis\" or \"redisx\", got \"kafka\""
        );
        assert_eq!(PubSub::parse("none"), Ok(PubSub::None));
        assert_eq!(PubSub::parse("redis"), Ok(PubSub::Redis));
        assert_eq!(
            PubSub::parse("Redis").unwrap_err().0,
            "pubsub must be \"none\" or \"redis\", got \"Redis\""
        );
    }
}
