//! Who is connecting: the token transports (header > sub-protocol > query), the sub-protocol the
//! server answers with, and the auth decision table of AnyCable's JWT identification.

use std::time::SystemTime;

use hyper::header::{HeaderMap, SEC_WEBSOCKET_PROTOCOL};

use crate::protocol::{DisconnectReason, Protocol};
use crate::token::{Identificator, TokenError};

const TOKEN_PROTOCOL_PREFIX: &str = "anycable-token.";

/// How connections are identified, resolved from the options by `config`.
pub struct IdentitySettings {
    /// Verifies connection tokens; `None` when no JWT secret is configured.
    pub identificator: Option<Identificator>,
    /// Name of the token query parameter and `X-<PARAM>` header.
    pub jwt_param: String,
    /// Refuse connections without a valid token.
    pub enforce_jwt: bool,
    /// Accept connections without a token as anonymous.
    pub noauth: bool,
    /// Whether there is an application, whose `connect` then decides about tokenless clients.
    pub application: bool,
}

/// The outcome of authentication at connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// A valid token; `identifiers` is its `ext` JSON, `expires_at` its `exp` (if any).
    Identified {
        identifiers: String,
        expires_at: Option<SystemTime>,
    },
    /// No token, and the application decides (its `connect`).
    AskApplication,
    /// No token, and the server accepts anonymous connections (`noauth`).
    Anonymous,
    Refused(DisconnectReason),
}

/// The token of a connection request, from the first transport that carries one:
/// the `X-<param>` header, an `anycable-token.<token>` sub-protocol, or the `?<param>=` query.
pub(crate) fn find_token(headers: &HeaderMap, query: Option<&str>, param: &str) -> Option<String> {
    let header = format!("x-{param}");
    if let Some(value) = headers.get(header.as_str()).and_then(|v| v.to_str().ok()) {
        if !value.is_empty() {
            return Some(value.to_owned());
        }
    }
    if let Some(token) =
        offered_protocols(headers).find_map(|p| p.strip_prefix(TOKEN_PROTOCOL_PREFIX))
    {
        if !token.is_empty() {
            return Some(token.to_owned());
        }
    }
    query.and_then(|query| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(key, value)| key == param && !value.is_empty())
            .map(|(_, value)| value.into_owned())
    })
}

/// The sub-protocol to answer with: a real protocol the client offered, never its token entry.
pub(crate) fn select_protocol(headers: &HeaderMap) -> Option<Protocol> {
    Protocol::negotiate(offered_protocols(headers))
}

fn offered_protocols(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|list| list.split(','))
        .map(str::trim)
}

/// AnyCable's decision table: a bad token never falls back; a missing one may (anonymous).
pub(crate) fn authenticate(settings: &IdentitySettings, token: Option<&str>) -> Verdict {
    match (token, &settings.identificator) {
        (Some(token), Some(identificator)) => match identificator.verify_expiring(token) {
            Ok(verified) => Verdict::Identified {
                identifiers: verified.identifiers,
                expires_at: verified.expires_at,
            },
            Err(TokenError::Expired | TokenError::TooOld) => {
                Verdict::Refused(DisconnectReason::TokenExpired)
            }
            Err(TokenError::Unauthorized(_)) => Verdict::Refused(DisconnectReason::Unauthorized),
        },
        _ if settings.enforce_jwt => Verdict::Refused(DisconnectReason::Unauthorized),
        _ if settings.application => Verdict::AskApplication,
        _ if settings.noauth => Verdict::Anonymous,
        _ => Verdict::Refused(DisconnectReason::Unauthorized),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::{Algorithm, Ttl};
    use hyper::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for &(name, value) in pairs {
            map.append(name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn token_transports_in_order_header_protocol_query() {
        let all = headers(&[
            ("x-jid", "from-header"),
            (
                "sec-websocket-protocol",
                "actioncable-v1-json, anycable-token.from-protocol",
            ),
        ]);
        assert_eq!(
            find_token(&all, Some("jid=from-query"), "jid").as_deref(),
            Some("from-header")
        );
        let protocol = headers(&[(
            "sec-websocket-protocol",
            "actioncable-v1-json, anycable-token.from-protocol",
        )]);
        assert_eq!(
            find_token(&protocol, Some("jid=from-query"), "jid").as_deref(),
            Some("from-protocol")
        );
        assert_eq!(
            find_token(&HeaderMap::new(), Some("sid=1&jid=from-query&pi=2"), "jid").as_deref(),
            Some("from-query")
        );
        assert_eq!(find_token(&HeaderMap::new(), Some("sid=1"), "jid"), None);
        assert_eq!(find_token(&HeaderMap::new(), None, "jid"), None);
    }

    #[test]
    fn the_param_name_is_configurable() {
        let custom = headers(&[("x-token", "h")]);
        assert_eq!(find_token(&custom, None, "token").as_deref(), Some("h"));
        assert_eq!(
            find_token(&HeaderMap::new(), Some("token=a%2Eb%2Ec"), "token").as_deref(),
            Some("a.b.c")
        );
    }

    #[test]
    fn selects_a_real_protocol_never_the_token() {
        let offered = headers(&[(
            "sec-websocket-protocol",
            "anycable-token.abc, actioncable-v1-json",
        )]);
        assert_eq!(
            select_protocol(&offered).map(Protocol::as_str),
            Some("actioncable-v1-json")
        );
        let ext_in_two_headers = headers(&[
            ("sec-websocket-protocol", "actioncable-v1-json"),
            (
                "sec-websocket-protocol",
                "actioncable-v1-ext-json, anycable-token.abc",
            ),
        ]);
        assert_eq!(
            select_protocol(&ext_in_two_headers).map(Protocol::as_str),
            Some("actioncable-v1-ext-json")
        );
        let only_token = headers(&[("sec-websocket-protocol", "anycable-token.abc")]);
        assert_eq!(select_protocol(&only_token), None);
        assert_eq!(select_protocol(&HeaderMap::new()), None);
    }

    fn token(secret: &[u8], exp: u64) -> String {
        Identificator::new(secret, Ttl::from_seconds(60.0).unwrap(), Algorithm::HS256)
            .unwrap()
            .generate_with(r#"{"user_id":1}"#, 0, exp)
    }

    #[test]
    fn the_decision_table() {
        let with_secret = || IdentitySettings {
            identificator: Some(
                Identificator::new(b"s", Ttl::from_seconds(60.0).unwrap(), Algorithm::HS256)
                    .unwrap(),
            ),
            jwt_param: "jid".into(),
            enforce_jwt: false,
            noauth: false,
            application: false,
        };
        let valid = token(b"s", 4_000_000_000);
        let expired = token(b"s", 1);
        let forged = token(b"other", u64::MAX / 2);
        let plain = with_secret();
        assert_eq!(
            authenticate(&plain, Some(&valid)),
            Verdict::Identified {
                identifiers: r#"{"user_id":1}"#.into(),
                expires_at: Some(
                    SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(4_000_000_000)
                ),
            }
        );
        assert_eq!(
            authenticate(&plain, Some(&expired)),
            Verdict::Refused(DisconnectReason::TokenExpired)
        );
        assert_eq!(
            authenticate(&plain, Some(&forged)),
            Verdict::Refused(DisconnectReason::Unauthorized)
        );
        assert_eq!(
            authenticate(&plain, None),
            Verdict::Refused(DisconnectReason::Unauthorized)
        );

        let noauth = IdentitySettings {
            noauth: true,
            ..with_secret()
        };
        assert_eq!(authenticate(&noauth, None), Verdict::Anonymous);
        assert_eq!(
            authenticate(&noauth, Some(&forged)),
            Verdict::Refused(DisconnectReason::Unauthorized),
            "no fallback for a bad token"
        );

        let enforced = IdentitySettings {
            enforce_jwt: true,
            noauth: true,
            ..with_secret()
        };
        assert_eq!(
            authenticate(&enforced, None),
            Verdict::Refused(DisconnectReason::Unauthorized)
        );
        assert!(matches!(
            authenticate(&enforced, Some(&valid)),
            Verdict::Identified { .. }
        ));
    }
}
