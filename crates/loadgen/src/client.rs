use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
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
    /// Socket.IO over Engine.IO v4 text frames
    Socketio,
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

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// TCP connect, WebSocket upgrade, authentication with the token, subscription confirmed.
pub async fn connect(target: &Target, source: Option<IpAddr>) -> Result<Connected, String> {
    let attempt = async {
        let mut request = target
            .url
            .as_str()
            .into_client_request()
            .map_err(|e| e.to_string())?;
        if target.protocol == Protocol::Cable {
            let protocols = format!("actioncable-v1-json, anycable-token.{}", target.token);
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
        let (mut ws, _) = client_async(request, stream)
            .await
            .map_err(|e| e.to_string())?;
        match target.protocol {
            Protocol::Cable => {
                expect_type(&mut ws, "welcome").await?;
                let subscribe =
                    serde_json::json!({"command": "subscribe", "identifier": target.identifier})
                        .to_string();
                ws.send(Message::text(subscribe))
                    .await
                    .map_err(|e| e.to_string())?;
                expect_type(&mut ws, "confirm_subscription").await?;
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
            }
        }
        Ok(ws)
    };
    tokio::time::timeout(HANDSHAKE_TIMEOUT, attempt)
        .await
        .map_err(|_| "timed out".to_string())?
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

async fn expect_type(ws: &mut Connected, wanted: &str) -> Result<(), String> {
    while let Some(message) = ws.next().await {
        if let Message::Text(text) = message.map_err(|e| e.to_string())? {
            let frame: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
            match frame["type"].as_str() {
                Some(t) if t == wanted => return Ok(()),
                Some("ping") => {}
                other => return Err(format!("expected {wanted}, got {other:?}")),
            }
        }
    }
    Err(format!("closed before {wanted}"))
}

/// Latencies (ms) of the broadcasts every client received, from the `t` (µs since the epoch)
/// they carry: to their arrival in the client's socket, and to the generator reading them.
#[derive(Default)]
pub struct Latencies {
    pub arrival: Vec<f64>,
    pub read: Vec<f64>,
}

pub struct Receipts {
    latencies: Arc<Mutex<Latencies>>,
    readers: Vec<tokio::task::JoinHandle<()>>,
}

impl Receipts {
    pub fn collect(self) -> Latencies {
        for reader in &self.readers {
            reader.abort();
        }
        std::mem::take(&mut *self.latencies.lock().expect("latencies"))
    }
}

pub fn listen_all(clients: Vec<Connected>) -> Receipts {
    let latencies = Arc::new(Mutex::new(Latencies::default()));
    let readers = clients
        .into_iter()
        .map(|mut ws| {
            let latencies = Arc::clone(&latencies);
            tokio::spawn(async move {
                while let Some(Ok(message)) = ws.next().await {
                    let Message::Text(text) = message else {
                        continue;
                    };
                    if text.as_str() == "2" {
                        // Engine.IO ping: answer, or Socket.IO drops the client.
                        let _ = ws.send(Message::text("3")).await;
                    } else if let Some(sent) = sent_at(&text) {
                        let read_us = now_micros().saturating_sub(sent);
                        let arrival_us = ws.get_ref().last_arrival_us().saturating_sub(sent);
                        let mut latencies = latencies.lock().expect("latencies");
                        latencies.arrival.push(arrival_us as f64 / 1000.0);
                        latencies.read.push(read_us as f64 / 1000.0);
                    }
                }
            })
        })
        .collect();
    Receipts { latencies, readers }
}

/// The publish time carried by a broadcast: cable `{"message":{"t":…}}`, Socket.IO `42["message",{"t":…}]`.
fn sent_at(text: &str) -> Option<u64> {
    let frame: Value = serde_json::from_str(text.strip_prefix("42").unwrap_or(text)).ok()?;
    frame["message"]["t"]
        .as_u64()
        .or_else(|| frame[1]["t"].as_u64())
}

pub fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}
