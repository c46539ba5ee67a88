use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::FutureExt;
use hyper::body::Incoming;
use hyper::header::{
    HeaderMap, HeaderValue, CONNECTION, ORIGIN, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY,
    SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use hyper::upgrade::Upgraded;
use hyper::{Method, Request, StatusCode, Version};
use hyper_util::rt::TokioIo;
use rand::distr::{Alphanumeric, SampleString};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::response::{text, HttpResponse};
use super::{ConnectionGuard, Shared};
use crate::identity::{authenticate, find_token, select_protocol, Verdict};
use crate::log::log;
use crate::outbox::RawSocket;
use crate::protocol::{DisconnectReason, PingOverrides, Protocol};
use crate::rpc::Env;
use crate::session::{self, Peer, SessionContext};

/// tungstenite's per-socket read buffer: how much it asks for per read, and what it allocates up
/// front. It keeps the buffer for the connection's life, grown to the largest frame read, so an
/// idle connection holds it. tungstenite's default (128 KiB) would dominate; a subscribe is
/// read in two calls at 128 bytes, which only commands pay. Measured (see BENCHMARKS.md):
/// 4 KiB -> 1 KiB took an idle connection from 11.3 to 8.4 KiB of RSS, 1 KiB -> 512 B another
/// 0.5 KiB, and 512 -> 128 B from 3.57 to 3.39 KiB (0 B, a read per frame header: 3.36).
const READ_BUFFER: usize = 128;

/// tungstenite's write-buffer threshold: it writes only control frames (pongs, the close
/// handshake); the session writes everything else itself.
const WRITE_BUFFER: usize = 512;

/// Length of a decoded `Sec-WebSocket-Key` (RFC 6455 4.1: a random 16-byte nonce, base64).
const KEY_LENGTH: usize = 16;

/// The header naming the session to resume (header names are case-insensitive).
const RESTORE_SID_HEADER: &str = "x-anycable-restore-sid";

/// Answers a WebSocket upgrade on the cable path. Authentication problems do not fail the
/// upgrade: the verdict is sent inside the socket, where the JS client can act on it.
pub(super) fn upgrade(mut request: Request<Incoming>, shared: &Arc<Shared>) -> HttpResponse {
    let settings = &shared.settings;
    let headers = request.headers();
    if request.method() != Method::GET || !asks_for_websocket(headers) {
        let mut response = text(StatusCode::UPGRADE_REQUIRED, "This is a WebSocket endpoint");
        response
            .headers_mut()
            .insert(UPGRADE, HeaderValue::from_static("websocket"));
        return response;
    }
    if headers
        .get(SEC_WEBSOCKET_VERSION)
        .map(HeaderValue::as_bytes)
        != Some(b"13")
    {
        let mut response = text(
            StatusCode::UPGRADE_REQUIRED,
            "Unsupported WebSocket version",
        );
        response
            .headers_mut()
            .insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        return response;
    }
    // RFC 6455 4.1: the upgrade is an HTTP/1.1 (or later) GET.
    if request.version() < Version::HTTP_11 {
        return text(StatusCode::BAD_REQUEST, "WebSocket upgrades need HTTP/1.1");
    }
    let Some(key) = headers.get(SEC_WEBSOCKET_KEY).filter(|key| valid_key(key)) else {
        return text(
            StatusCode::BAD_REQUEST,
            "Missing or invalid Sec-WebSocket-Key",
        );
    };
    let origin = headers.get(ORIGIN).map(HeaderValue::as_bytes);
    if !settings.allowed_origins.allow(origin) {
        log!(
            settings.log,
            Debug,
            "connection refused",
            status = 403,
            why = "origin not allowed",
            origin = String::from_utf8_lossy(origin.unwrap_or_default()),
        );
        return text(StatusCode::FORBIDDEN, "Origin not allowed");
    }
    let Some(guard) = ConnectionGuard::try_new(Arc::clone(shared)) else {
        log!(
            settings.log,
            Debug,
            "connection refused",
            status = 503,
            why = "maxConnections reached",
        );
        return text(StatusCode::SERVICE_UNAVAILABLE, "Too many connections");
    };
    let accept = derive_accept_key(key.as_bytes());
    let protocol = select_protocol(headers);
    let token = find_token(headers, request.uri().query(), &settings.identity.jwt_param);
    let verdict = authenticate(&settings.identity, token.as_deref());
    let pings = PingOverrides::from_query(request.uri().query());
    let restore_sid = restore_sid(headers, request.uri().query());
    // Never from the request (a client could pick another's id): rand's thread RNG is a CSPRNG
    // (ChaCha, seeded and reseeded from the OS).
    let sid = Alphanumeric.sample_string(&mut rand::rng(), 21);
    if let Verdict::Refused(reason) = verdict {
        log!(
            settings.log,
            Debug,
            "connection refused",
            sid = sid,
            reason = reason.as_str(),
            why = match (reason, &token) {
                (DisconnectReason::TokenExpired, _) => "the token expired",
                (_, Some(_)) => "the token is invalid",
                (_, None) => "no token",
            },
        );
    }
    // Only an application reads the request; without one, the session does not carry it.
    let env = settings.application_headers.as_ref().map(|names| {
        Box::new(Env {
            url: request_url(&request),
            headers: application_headers(headers, names),
            ..Env::default()
        })
    });

    let on_upgrade = hyper::upgrade::on(&mut request);
    let shared = Arc::clone(shared);
    tokio::spawn(async move {
        let Ok(upgraded) = on_upgrade.await else {
            return;
        };
        let Some((socket, read_ahead)) = raw_socket(upgraded) else {
            log!(
                shared.settings.log,
                Error,
                "an upgraded connection is not a socket the server can write"
            );
            return;
        };
        let config = WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER)
            .write_buffer_size(WRITE_BUFFER)
            .max_message_size(Some(shared.settings.max_message_size))
            .max_frame_size(Some(shared.settings.max_message_size));
        let context = SessionContext {
            settings: Arc::clone(&shared.settings.session),
            hub: Arc::clone(&shared.hub),
            broker: shared.broker.clone(),
            shutdown: shared.shutdown.subscribe(),
            pinger: Arc::clone(&shared.pinger),
        };
        let id = shared.next_session.fetch_add(1, Ordering::Relaxed);
        let session = session::run(
            socket,
            read_ahead,
            config,
            context,
            Peer {
                id,
                sid,
                verdict,
                // A client that offered neither protocol is spoken to in the plain one.
                protocol: protocol.unwrap_or(Protocol::Plain),
                restore_sid,
                pings,
                env,
            },
        );
        // A task of its own, holding the connection's slot until it ends: awaited here, the
        // session would carry this task's state (the request's parts) for its whole life.
        tokio::spawn(session.map(move |()| drop(guard)));
    });

    let mut response = text(StatusCode::SWITCHING_PROTOCOLS, "");
    let response_headers = response.headers_mut();
    response_headers.remove(hyper::header::CONTENT_TYPE);
    response_headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    response_headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
    response_headers.insert(
        SEC_WEBSOCKET_ACCEPT,
        HeaderValue::from_str(&accept).expect("base64 is a valid header"),
    );
    if let Some(protocol) = protocol {
        response_headers.insert(
            SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static(protocol.as_str()),
        );
    }
    response
}

/// The socket under hyper's upgraded connection (freeing hyper's connection state), and the bytes
/// hyper read past the request; `None` for a stream that is not a socket.
fn raw_socket(upgraded: Upgraded) -> Option<(Box<dyn RawSocket>, Bytes)> {
    // Copied: hyper's read buffer is a slice of its 8 KiB one, which it would keep alive.
    let read_ahead = |read: Bytes| Bytes::copy_from_slice(&read);
    let upgraded = match upgraded.downcast::<TokioIo<TcpStream>>() {
        Ok(parts) => return Some((Box::new(parts.io.into_inner()), read_ahead(parts.read_buf))),
        Err(upgraded) => upgraded,
    };
    #[cfg(unix)]
    if let Ok(parts) = upgraded.downcast::<TokioIo<tokio::net::UnixStream>>() {
        return Some((Box::new(parts.io.into_inner()), read_ahead(parts.read_buf)));
    }
    None
}

fn asks_for_websocket(headers: &HeaderMap) -> bool {
    let has_token = |name, token: &str| {
        headers.get_all(name).iter().any(|value| {
            value
                .to_str()
                .map(|v| {
                    v.split(',')
                        .any(|part| part.trim().eq_ignore_ascii_case(token))
                })
                .unwrap_or(false)
        })
    };
    has_token(CONNECTION, "upgrade") && has_token(UPGRADE, "websocket")
}

/// The URL the client connected to, as the application's `env.url`.
fn request_url(request: &Request<Incoming>) -> String {
    let host = request
        .headers()
        .get(hyper::header::HOST)
        .and_then(|host| host.to_str().ok())
        .unwrap_or("localhost");
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
    format!("http://{host}{path}")
}

/// The request headers the `headers` option names (lower-cased), for the application; the rest
/// are not kept, so a session holds and sends only what the application asked for.
fn application_headers(headers: &HeaderMap, names: &[String]) -> HashMap<String, String> {
    names
        .iter()
        .filter_map(|name| {
            let value = headers.get(name.as_str())?.to_str().ok()?;
            Some((name.clone(), value.to_owned()))
        })
        .collect()
}

/// The sid of the session a client asks to resume: the `X-AnyCable-Restore-Sid` header, else the
/// `?sid=` query (as in AnyCable, the header wins); an empty one asks for nothing (the JS client
/// sends `sid=` after a disconnect frame).
fn restore_sid(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    let header = headers
        .get(RESTORE_SID_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|sid| !sid.is_empty())
        .map(str::to_owned);
    header.or_else(|| {
        form_urlencoded::parse(query?.as_bytes())
            .find(|(key, value)| key == "sid" && !value.is_empty())
            .map(|(_, value)| value.into_owned())
    })
}

/// Whether a `Sec-WebSocket-Key` is base64 of exactly 16 bytes.
fn valid_key(key: &HeaderValue) -> bool {
    base64_simd::STANDARD
        .decode_to_vec(key.as_bytes())
        .is_ok_and(|nonce| nonce.len() == KEY_LENGTH)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_header(sid: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            "X-AnyCable-Restore-Sid",
            HeaderValue::from_str(sid).unwrap(),
        );
        headers
    }

    #[test]
    fn the_restore_sid_comes_from_the_header_then_the_query_and_empty_is_none() {
        let none = HeaderMap::new();
        assert_eq!(
            restore_sid(&none, Some("jid=t&sid=S1")).as_deref(),
            Some("S1")
        );
        assert_eq!(
            restore_sid(&with_header("S2"), Some("sid=S1")).as_deref(),
            Some("S2")
        );
        assert_eq!(
            restore_sid(&with_header(""), Some("sid=S1")).as_deref(),
            Some("S1")
        );
        assert_eq!(restore_sid(&none, Some("jid=t&sid=")), None);
        assert_eq!(restore_sid(&with_header(""), None), None);
        assert_eq!(restore_sid(&none, None), None);
    }
}
