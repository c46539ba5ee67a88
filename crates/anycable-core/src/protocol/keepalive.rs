//! Per-connection ping settings from the request query: `?pi=<seconds>` (the ping interval) and
//! `?ptp=s|ms|ns` (the unit of the ping frame's timestamp).

use std::ops::RangeInclusive;
use std::time::Duration;

/// The accepted `?pi=` values, in whole seconds: below one second pings would be most of the
/// traffic; above an hour every proxy would have cut the idle connection long before.
pub(crate) const PING_INTERVAL_SECONDS: RangeInclusive<u64> = 1..=3600;

/// The unit of a ping frame's `message` (a Unix timestamp).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum TimestampPrecision {
    #[default]
    Seconds,
    Milliseconds,
    Nanoseconds,
}

impl TimestampPrecision {
    /// `s`, `ms` or `ns`, as AnyCable's `?ptp=` and `--ping_timestamp_precision` spell them.
    pub(crate) fn parse(value: &str) -> Option<TimestampPrecision> {
        match value {
            "s" => Some(TimestampPrecision::Seconds),
            "ms" => Some(TimestampPrecision::Milliseconds),
            "ns" => Some(TimestampPrecision::Nanoseconds),
            _ => None,
        }
    }

    /// A time since the Unix epoch in this unit (saturating; nanoseconds fit until 2554).
    pub(crate) fn timestamp(self, unix_time: Duration) -> u64 {
        let units = match self {
            TimestampPrecision::Seconds => u128::from(unix_time.as_secs()),
            TimestampPrecision::Milliseconds => unix_time.as_millis(),
            TimestampPrecision::Nanoseconds => unix_time.as_nanos(),
        };
        u64::try_from(units).unwrap_or(u64::MAX)
    }
}

/// A `?pi=` value: whole seconds within [`PING_INTERVAL_SECONDS`]; anything else is ignored.
pub(crate) fn ping_interval(value: &str) -> Option<Duration> {
    value
        .parse::<u64>()
        .ok()
        .filter(|seconds| PING_INTERVAL_SECONDS.contains(seconds))
        .map(Duration::from_secs)
}

/// What a connection's query asks of its pings; `None` keeps the server's setting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct PingOverrides {
    /// `?pi=`: the time between pings.
    pub interval: Option<Duration>,
    /// `?ptp=`: the unit of the ping timestamps.
    pub precision: Option<TimestampPrecision>,
}

impl PingOverrides {
    /// Reads `pi` and `ptp` from a request's query (the first of each counts; invalid values are
    /// ignored, never refused: the connection is more useful than the setting).
    pub(crate) fn from_query(query: Option<&str>) -> PingOverrides {
        let mut overrides = PingOverrides::default();
        let (mut seen_interval, mut seen_precision) = (false, false);
        for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            match &*key {
                "pi" if !seen_interval => {
                    seen_interval = true;
                    overrides.interval = ping_interval(&value);
                }
                "ptp" if !seen_precision => {
                    seen_precision = true;
                    overrides.precision = TimestampPrecision::parse(&value);
                }
                _ => {}
            }
        }
        overrides
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ping_intervals_are_whole_seconds_within_bounds() {
        assert_eq!(ping_interval("1"), Some(Duration::from_secs(1)));
        assert_eq!(ping_interval("10"), Some(Duration::from_secs(10)));
        assert_eq!(ping_interval("3600"), Some(Duration::from_secs(3600)));
        for invalid in [
            "0",
            "3601",
            "-1",
            "1.5",
            "",
            "abc",
            " 3",
            "99999999999999999999999",
        ] {
            assert_eq!(ping_interval(invalid), None, "{invalid:?}");
        }
    }

    #[test]
    fn precisions() {
        assert_eq!(
            TimestampPrecision::parse("s"),
            Some(TimestampPrecision::Seconds)
        );
        assert_eq!(
            TimestampPrecision::parse("ms"),
            Some(TimestampPrecision::Milliseconds)
        );
        assert_eq!(
            TimestampPrecision::parse("ns"),
            Some(TimestampPrecision::Nanoseconds)
        );
        for invalid in ["", "us", "S", "seconds", "ms "] {
            assert_eq!(TimestampPrecision::parse(invalid), None, "{invalid:?}");
        }
    }

    #[test]
    fn timestamps_in_each_unit() {
        let time = Duration::new(1_796_226_712, 345_678_901);
        assert_eq!(TimestampPrecision::Seconds.timestamp(time), 1_796_226_712);
        assert_eq!(
            TimestampPrecision::Milliseconds.timestamp(time),
            1_796_226_712_345
        );
        assert_eq!(
            TimestampPrecision::Nanoseconds.timestamp(time),
            1_796_226_712_345_678_901
        );
        assert_eq!(
            TimestampPrecision::Nanoseconds.timestamp(Duration::from_secs(u64::MAX)),
            u64::MAX
        );
    }

    #[test]
    fn overrides_from_the_query() {
        assert_eq!(
            PingOverrides::from_query(Some("jid=t&pi=1&ptp=ns&sid=")),
            PingOverrides {
                interval: Some(Duration::from_secs(1)),
                precision: Some(TimestampPrecision::Nanoseconds),
            }
        );
        assert_eq!(
            PingOverrides::from_query(Some("ptp=ms")),
            PingOverrides {
                interval: None,
                precision: Some(TimestampPrecision::Milliseconds),
            }
        );
        assert_eq!(
            PingOverrides::from_query(Some("pi=0&ptp=us&pi=5&ptp=ms")),
            PingOverrides::default(),
            "the first of each counts, and invalid ones are ignored"
        );
        assert_eq!(PingOverrides::from_query(None), PingOverrides::default());
        assert_eq!(
            PingOverrides::from_query(Some("%%&=&pi")),
            PingOverrides::default()
        );
    }
}
