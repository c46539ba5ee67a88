use std::fmt;

/// A token lifetime in whole seconds, from a number or a span string as `jose` accepts it
/// (`"30s"`, `"15 min"`, `"1h"`, `"2 days"`, `"1w"`, `"1y"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ttl(u64);

/// The ttl was not a positive number of seconds or a span string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TtlError(String);

impl fmt::Display for TtlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TtlError {}

const MINUTE: f64 = 60.0;
const HOUR: f64 = 60.0 * MINUTE;
const DAY: f64 = 24.0 * HOUR;
const WEEK: f64 = 7.0 * DAY;
const YEAR: f64 = 365.25 * DAY;

/// A ttl beyond this many seconds (about 31 years) is surely an absolute timestamp passed where a
/// duration was meant (serverless-js reads a number that way); refuse it rather than mint near-eternal tokens.
const MAX_SECONDS: f64 = 1.0e9;

impl Ttl {
    /// The longest ttl, which also bounds how far ahead an explicit expiry may be.
    pub const LONGEST: Ttl = Ttl(MAX_SECONDS as u64);

    pub fn seconds(self) -> u64 {
        self.0
    }

    /// A number of seconds; fractions are rounded down, as `jose` does.
    pub fn from_seconds(seconds: f64) -> Result<Ttl, TtlError> {
        if !seconds.is_finite() || seconds < 1.0 {
            return Err(TtlError(format!(
                "ttl must be a positive number of seconds, got {seconds}"
            )));
        }
        if seconds > MAX_SECONDS {
            return Err(TtlError(format!(
                "ttl of {seconds} seconds is over 31 years; pass a duration, not a timestamp"
            )));
        }
        Ok(Ttl(seconds.floor() as u64))
    }

    /// A span such as `"30s"`, `"1.5 hours"` or `"2 days"`: a number, an optional space and a unit.
    pub fn parse(span: &str) -> Result<Ttl, TtlError> {
        let invalid = || {
            TtlError(format!(
                "ttl {span:?} is not a duration such as \"30s\", \"15m\", \"1h\" or \"2 days\""
            ))
        };
        let text = span.trim();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(invalid)?;
        let (number, unit) = text.split_at(split);
        let unit = unit.strip_prefix(' ').unwrap_or(unit).to_ascii_lowercase();
        if number.is_empty() || number.starts_with('.') || number.ends_with('.') {
            return Err(invalid());
        }
        let value: f64 = number.parse().map_err(|_| invalid())?;
        let scale = match unit.as_str() {
            "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
            "m" | "min" | "mins" | "minute" | "minutes" => MINUTE,
            "h" | "hr" | "hrs" | "hour" | "hours" => HOUR,
            "d" | "day" | "days" => DAY,
            "w" | "week" | "weeks" => WEEK,
            "y" | "yr" | "yrs" | "year" | "years" => YEAR,
            _ => return Err(invalid()),
        };
        Ttl::from_seconds((value * scale).round())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(span: &str) -> u64 {
        Ttl::parse(span).unwrap().seconds()
    }

    #[test]
    fn parses_jose_spans() {
        assert_eq!(secs("30s"), 30);
        assert_eq!(secs("15m"), 900);
        assert_eq!(secs("15 min"), 900);
        assert_eq!(secs("1h"), 3600);
        assert_eq!(secs("1.5 hours"), 5400);
        assert_eq!(secs("2 days"), 172_800);
        assert_eq!(secs("1w"), 604_800);
        assert_eq!(secs("1y"), 31_557_600);
        assert_eq!(secs("3 Weeks"), 1_814_400);
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        for span in [
            "",
            "h",
            "1",
            "10 parsecs",
            "-1h",
            "1h ago",
            ".5h",
            "1..5h",
            "0s",
            "1  h",
        ] {
            assert!(Ttl::parse(span).is_err(), "{span:?} should be rejected");
        }
    }

    #[test]
    fn numbers_are_seconds() {
        assert_eq!(Ttl::from_seconds(3600.0).unwrap().seconds(), 3600);
        assert_eq!(Ttl::from_seconds(90.9).unwrap().seconds(), 90);
        for bad in [0.0, -5.0, 0.5, f64::NAN, f64::INFINITY, 1.7e9] {
            assert!(Ttl::from_seconds(bad).is_err(), "{bad}");
        }
    }
}
