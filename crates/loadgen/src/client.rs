use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{client_async, WebSocketStream};

use crate::arrival::TimestampedStream;

/// The wire protocol the server speaks.
#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum Protocol {
    /// Action Cable JSON (AnyCable, the `ws` peer)
    Cable,
    /// AnyCable's extended Action Cable JSON (`actioncable-v1-ext-json`: offsets, session resumption)
    CableExt,
    /// Socket.IO over Engine.IO v4 text frames
    Socketio,
}

impl Protocol {
    /// The WebSocket sub-protocol offered beside the token, for the cable protocols.
    fn subprotocol(self) -> Option<&'static str> {
        match self {
            Protocol::Cable => Some("actioncable-v1-json"),
            Protocol::CableExt => Some("actioncable-v1-ext-json"),
            Protocol::Socketio => None,
        }
    }
}

/// What every client connects to and subscribes with.
pub struct Target {
    pub protocol: Protocol,
    pub url: String,
    pub token: String,
    /// The `$pubsub` identifier (cable) or the signed stream name (Socket.IO).
    pub identifier: String,
    pub signed_stream: String,
}

pub type Connected = WebSocketStream<TimestampedStream>;

/// A subscribed client and the session id its welcome carried (cable protocols, when sent).
pub struct Client {
    pub ws: Connected,
    pub sid: Option<String>,
}

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// TCP connect, WebSocket upgrade, authentication with the token, subscription confirmed.
pub async fn connect(target: &Target, source: Option<IpAddr>) -> Result<Client, String> {
    let attempt = async {
        let mut ws = open(target, &target.url, source).await?;
        let sid = match target.protocol {
            Protocol::Cable | Protocol::CableExt => {
                let welcome = expect_welcome(&mut ws).await?;
                let subscribe =
                    serde_json::json!({"command": "subscribe", "identifier": target.identifier})
                        .to_string();
                ws.send(Message::text(subscribe))
                    .await
                    .map_err(|e| e.to_string())?;
                expect_type(&mut ws, "confirm_subscription").await?;
                welcome.sid
            }
            Protocol::Socketio => {
                expect_prefix(&mut ws, "0{").await?;
                let connect = format!("40{}", serde_json::json!({"token": target.token}));
                ws.send(Message::text(connect))
                    .await
                    .map_err(|e| e.to_string())?;
                expect_prefix(&mut ws, "40").await?;
                let subscribe = format!(
                    "42{}",
                    serde_json::json!(["subscribe", target.signed_stream])
                );
                ws.send(Message::text(subscribe))
                    .await
                    .map_err(|e| e.to_string())?;
                expect_prefix(&mut ws, "42[\"confirm\"").await?;
                None
            }
        };
        Ok(Client { ws, sid })
    };
    tokio::time::timeout(HANDSHAKE_TIMEOUT, attempt)
        .await
        .map_err(|_| "timed out".to_string())?
}

/// A client reconnected with its previous sid, and whether the server restored its session (its
/// subscriptions come back without a subscribe).
pub struct Reconnected {
    pub ws: Connected,
    pub restored: bool,
}

/// Reconnects with `?sid=<previous sid>` and reads the welcome; when restored, asks for the
/// history since now, as the extended JS client does right after a restored welcome (the server
/// holds the restored subscription's live broadcasts until that request is answered).
pub async fn restore(
    target: &Target,
    source: Option<IpAddr>,
    previous_sid: &str,
) -> Result<Reconnected, String> {
    let attempt = async {
        let url = with_sid(&target.url, previous_sid);
        let mut ws = open(target, &url, source).await?;
        let welcome = expect_welcome(&mut ws).await?;
        if welcome.restored {
            let since = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |now| now.as_secs());
            let history = serde_json::json!({
                "command": "history",
                "identifier": target.identifier,
                "history": {"since": since},
            });
            ws.send(Message::text(history.to_string()))
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(Reconnected {
            ws,
            restored: welcome.restored,
        })
    };
    tokio::time::timeout(HANDSHAKE_TIMEOUT, attempt)
        .await
        .map_err(|_| "timed out".to_string())?
}

/// `url` with the `sid` query parameter the extended protocol restores a session by.
fn with_sid(url: &str, sid: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}sid={sid}")
}

/// TCP connect from `source` and the WebSocket upgrade, offering the token in the sub-protocol.
async fn open(target: &Target, url: &str, source: Option<IpAddr>) -> Result<Connected, String> {
    let mut request = url.into_client_request().map_err(|e| e.to_string())?;
    if let Some(subprotocol) = target.protocol.subprotocol() {
        let protocols = format!("{subprotocol}, anycable-token.{}", target.token);
        request.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_str(&protocols).map_err(|e| e.to_string())?,
        );
    }
    let uri = request.uri();
    let host = uri.host().ok_or("url without host")?;
    let address: SocketAddr = format!("{host}:{}", uri.port_u16().unwrap_or(80))
        .parse()
        .map_err(|e| format!("{e}"))?;
    let socket = if address.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(|e| e.to_string())?;
    if let Some(source) = source {
        socket
            .bind(SocketAddr::new(source, 0))
            .map_err(|e| e.to_string())?;
    }
    let stream = socket.connect(address).await.map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let stream = TimestampedStream::new(stream).map_err(|e| e.to_string())?;
    let (ws, _) = client_async(request, stream)
        .await
        .map_err(|e| e.to_string())?;
    Ok(ws)
}

/// Engine.IO: waits for a text frame starting with `prefix`, answering pings (`2`) on the way.
async fn expect_prefix(ws: &mut Connected, prefix: &str) -> Result<(), String> {
    while let Some(message) = ws.next().await {
        if let Message::Text(text) = message.map_err(|e| e.to_string())? {
            if text.starts_with(prefix) {
                return Ok(());
            }
            if text.as_str() == "2" {
                ws.send(Message::text("3"))
                    .await
                    .map_err(|e| e.to_string())?;
            } else {
                return Err(format!("expected {prefix}…, got {text}"));
            }
        }
    }
    Err(format!("closed before {prefix}"))
}

/// The fields of a cable control frame the generator acts on.
#[derive(Deserialize)]
struct ControlFrame {
    #[serde(rename = "type")]
    kind: Option<String>,
    sid: Option<String>,
    #[serde(default)]
    restored: bool,
}

/// What a welcome said: the new session's id and whether an earlier session was restored.
struct Welcome {
    sid: Option<String>,
    restored: bool,
}

async fn expect_welcome(ws: &mut Connected) -> Result<Welcome, String> {
    let frame = expect_type(ws, "welcome").await?;
    Ok(Welcome {
        sid: frame.sid,
        restored: frame.restored,
    })
}

/// Waits for a frame of type `wanted`, skipping pings; anything else is an error.
async fn expect_type(ws: &mut Connected, wanted: &str) -> Result<ControlFrame, String> {
    while let Some(message) = ws.next().await {
        if let Message::Text(text) = message.map_err(|e| e.to_string())? {
            let frame: ControlFrame = serde_json::from_str(&text).map_err(|e| e.to_string())?;
            match frame.kind.as_deref() {
                Some(t) if t == wanted => return Ok(frame),
                Some("ping") => {}
                other => return Err(format!("expected {wanted}, got {other:?}: {text}")),
            }
        }
    }
    Err(format!("closed before {wanted}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sid_is_added_as_a_query_parameter() {
        assert_eq!(
            with_sid("ws://127.0.0.1:8080/cable", "abc"),
            "ws://127.0.0.1:8080/cable?sid=abc"
        );
        assert_eq!(
            with_sid("ws://h/cable?jid=t", "abc"),
            "ws://h/cable?jid=t&sid=abc"
        );
    }

    #[test]
    fn welcomes_say_whether_the_session_was_restored() {
        let fresh: ControlFrame = serde_json::from_str(r#"{"type":"welcome","sid":"S1"}"#).unwrap();
        assert_eq!((fresh.sid.as_deref(), fresh.restored), (Some("S1"), false));
        let restored: ControlFrame = serde_json::from_str(
            r#"{"type":"welcome","sid":"S2","restored":true,"restored_ids":["x"]}"#,
        )
        .unwrap();
        assert_eq!(
            (restored.sid.as_deref(), restored.restored),
            (Some("S2"), true)
        );
        let legacy: ControlFrame = serde_json::from_str(r#"{"type":"welcome"}"#).unwrap();
        assert_eq!((legacy.sid, legacy.restored), (None, false));
    }

    #[test]
    fn each_cable_protocol_offers_its_subprotocol() {
        assert_eq!(Protocol::Cable.subprotocol(), Some("actioncable-v1-json"));
        assert_eq!(
            Protocol::CableExt.subprotocol(),
            Some("actioncable-v1-ext-json")
        );
        assert_eq!(Protocol::Socketio.subprotocol(), None);
    }
}
