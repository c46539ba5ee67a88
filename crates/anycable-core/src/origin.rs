//! The `allowedOrigins` check: browser `Origin` headers parsed as URL origins (scheme, host,
//! port) and matched against patterns, never compared as strings.

use url::Url;

use crate::config_error::ConfigError;

/// The parsed `allowedOrigins` list; empty allows every origin.
#[derive(Debug, Clone, Default)]
pub struct AllowedOrigins(Vec<Pattern>);

/// One entry of the list: `https://app.example.com`, `example.com`, `*.example.com:8443`…
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    /// `None`: AnyCable's hostname form, which matches http and https.
    scheme: Option<String>,
    host: Host,
    /// `None`: the scheme's default port.
    port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Host {
    Exact(String),
    /// `*.suffix`: any host with at least one whole label before `.suffix`.
    Subdomains(String),
}

/// An `Origin` header that parsed as a tuple origin.
struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl AllowedOrigins {
    /// Parses the list, refusing entries that cannot match any origin.
    pub fn parse(patterns: &[String]) -> Result<AllowedOrigins, ConfigError> {
        patterns
            .iter()
            .map(|pattern| {
                Pattern::parse(pattern).ok_or_else(|| {
                    ConfigError(format!(
                        "allowedOrigins: {pattern:?} is not a host, *.host or scheme://host[:port]"
                    ))
                })
            })
            .collect::<Result<_, _>>()
            .map(AllowedOrigins)
    }

    /// Whether a request with this `Origin` header (raw bytes) may connect. Clients without an
    /// Origin are not browsers and the check does not apply to them; a present Origin that is
    /// not a valid origin (`null`, a path, non-ASCII bytes) is refused when a list is set.
    pub fn allow(&self, origin: Option<&[u8]>) -> bool {
        if self.0.is_empty() {
            return true;
        }
        let Some(origin) = origin else {
            return true;
        };
        let Some(origin) = Origin::parse(origin) else {
            return false;
        };
        self.0.iter().any(|pattern| pattern.matches(&origin))
    }
}

impl Origin {
    fn parse(raw: &[u8]) -> Option<Origin> {
        let text = std::str::from_utf8(raw)
            .ok()
            .filter(|text| text.is_ascii())?;
        let url = Url::parse(text).ok()?;
        let origin = url.origin();
        // A real Origin is exactly the serialisation of its origin: no path, query, user or
        // fragment may hide behind a matching-looking prefix.
        if !origin.is_tuple() || !origin.ascii_serialization().eq_ignore_ascii_case(text) {
            return None;
        }
        Some(Origin {
            scheme: url.scheme().to_owned(),
            host: url.host_str()?.to_owned(),
            port: url.port_or_known_default()?,
        })
    }
}

impl Pattern {
    fn parse(pattern: &str) -> Option<Pattern> {
        let pattern = pattern.trim().to_ascii_lowercase();
        let (scheme, rest) = match pattern.split_once("://") {
            Some((scheme, rest)) => (Some(scheme.to_owned()), rest),
            None => (None, pattern.as_str()),
        };
        let (host, port) = match rest.rsplit_once(':') {
            // An IPv6 address without a port ends in `]`, never in a port number.
            Some((host, port)) if !port.contains(']') => (host, Some(port.parse().ok()?)),
            _ => (rest, None),
        };
        let host = match host.strip_prefix("*.") {
            Some(suffix) => Host::Subdomains(valid_host(suffix)?),
            None => Host::Exact(valid_host(host)?),
        };
        if scheme
            .as_deref()
            .is_some_and(|scheme| default_port(scheme).is_none())
        {
            return None;
        }
        Some(Pattern { scheme, host, port })
    }

    fn matches(&self, origin: &Origin) -> bool {
        let scheme_ok = match &self.scheme {
            Some(scheme) => *scheme == origin.scheme,
            None => origin.scheme == "http" || origin.scheme == "https",
        };
        let port = self.port.or_else(|| default_port(&origin.scheme));
        scheme_ok && port == Some(origin.port) && self.host.matches(&origin.host)
    }
}

impl Host {
    fn matches(&self, host: &str) -> bool {
        match self {
            Host::Exact(exact) => host == exact,
            Host::Subdomains(suffix) => host
                .strip_suffix(suffix.as_str())
                .and_then(|labels| labels.strip_suffix('.'))
                .is_some_and(|labels| !labels.is_empty() && !labels.ends_with('.')),
        }
    }
}

/// The host as `url` serialises it (lower-case, punycode, bracketed IPv6), or `None` if it is
/// not one.
fn valid_host(host: &str) -> Option<String> {
    let url = Url::parse(&format!("http://{host}")).ok()?;
    let parsed = url.host_str()?;
    (url.path() == "/" && url.port().is_none() && url.username().is_empty()).then_some(())?;
    Some(parsed.to_owned())
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(patterns: &[&str]) -> AllowedOrigins {
        let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        AllowedOrigins::parse(&patterns).expect("valid patterns")
    }

    fn allows(list: &AllowedOrigins, origin: &str) -> bool {
        list.allow(Some(origin.as_bytes()))
    }

    #[test]
    fn empty_list_allows_everyone() {
        assert!(allows(&allowed(&[]), "https://evil.test"));
        assert!(allows(&allowed(&[]), "null"));
    }

    #[test]
    fn missing_origin_is_not_a_browser() {
        assert!(allowed(&["example.com"]).allow(None));
    }

    #[test]
    fn hostname_patterns_match_http_and_https_on_default_ports() {
        let list = allowed(&["example.com", "localhost:3000"]);
        assert!(allows(&list, "https://example.com"));
        assert!(allows(&list, "http://example.com"));
        assert!(allows(&list, "HTTPS://EXAMPLE.COM"));
        assert!(allows(&list, "http://localhost:3000"));
        assert!(!allows(&list, "http://localhost:3001"));
        assert!(!allows(&list, "http://localhost"));
        assert!(!allows(&list, "https://example.com:8443"));
        assert!(!allows(&list, "https://example.com.evil.test"));
        assert!(!allows(&list, "ftp://example.com"));
    }

    #[test]
    fn a_scheme_in_the_pattern_must_match_exactly() {
        let list = allowed(&["https://app.example.com", "http://dev.example.com:8080"]);
        assert!(allows(&list, "https://app.example.com"));
        assert!(!allows(&list, "http://app.example.com"));
        assert!(allows(&list, "http://dev.example.com:8080"));
        assert!(!allows(&list, "https://dev.example.com:8080"));
        assert!(!allows(&list, "http://dev.example.com"));
    }

    #[test]
    fn wildcards_match_whole_labels_only() {
        let list = allowed(&["*.anycable.io"]);
        assert!(allows(&list, "https://a.anycable.io"));
        assert!(allows(&list, "https://a.b.anycable.io"));
        assert!(!allows(&list, "https://anycable.io"));
        assert!(!allows(&list, "https://evilanycable.io"));
        assert!(!allows(&list, "https://anycable.io.evil.com"));
        assert!(!allows(&list, "https://evil.com/.anycable.io"));
        let scheme = allowed(&["https://*.anycable.io"]);
        assert!(allows(&scheme, "https://a.anycable.io"));
        assert!(!allows(&scheme, "http://a.anycable.io"));
    }

    #[test]
    fn a_present_origin_that_is_not_an_origin_is_refused() {
        let list = allowed(&["example.com"]);
        for bad in [
            "null",
            "garbage",
            "",
            "https://example.com/",
            "https://example.com/path",
            "https://example.com?x",
            "https://user@example.com",
            "example.com",
        ] {
            assert!(!allows(&list, bad), "{bad:?}");
        }
        assert!(!list.allow(Some("https://exämple.com".as_bytes())));
        assert!(!list.allow(Some(b"https://ex\xe4mple.com")));
    }

    #[test]
    fn patterns_that_cannot_match_are_config_errors() {
        for bad in ["", "*.", "ftp://example.com", "example.com:port", "a/b"] {
            assert!(
                AllowedOrigins::parse(&[bad.to_string()]).is_err(),
                "{bad:?}"
            );
        }
    }
}
