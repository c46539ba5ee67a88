//! A real server on a free port and a tokio-tungstenite client for the scenario tests.
#![allow(dead_code)] // each test file uses a different part of the kit

pub mod raw;

use std::time::Duration;

use anycable_core::{Algorithm, CableServer, Config, Identificator, StreamSigner, Ttl};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

pub const SECRET: &str = "scenario-secret";
pub const WAIT: Duration = Duration::from_secs(5);

pub fn config() -> Config {
    Config {
        port: 0,
        secret: Some(SECRET.into()),
        ..Config::default()
    }
}

pub async fn start(config: Config) -> CableServer {
    CableServer::start(config).await.expect("server starts")
}

pub fn token(identifiers: &str) -> String {
    Identificator::new(
        SECRET.as_bytes(),
        Ttl::from_seconds(300.0).unwrap(),
        Algorithm::HS256,
    )
    .unwrap()
    .generate(identifiers)
}

pub fn expired_token() -> String {
    Identificator::new(
        SECRET.as_bytes(),
        Ttl::from_seconds(300.0).unwrap(),
        Algorithm::HS256,
    )
    .unwrap()
    .generate_with("{}", 1, 2)
}

pub fn signed(stream: &str) -> String {
    StreamSigner::new(SECRET.as_bytes()).unwrap().sign(stream)
}

pub fn signed_identifier(stream: &str) -> String {
    json!({"channel": "$pubsub", "signed_stream_name": signed(stream)}).to_string()
}

pub fn public_identifier(stream: &str) -> String {
    json!({"channel": "$pubsub", "stream_name": stream}).to_string()
}

/// A broadcast frame without its history position (`stream_id`, `epoch`, `offset`, which every
/// kept broadcast carries when the broker is on), for tests about what else it says.
pub fn without_position(mut frame: Value) -> Value {
    if let Some(object) = frame.as_object_mut() {
        for key in ["stream_id", "epoch", "offset"] {
            object.remove(key);
        }
    }
    frame
}

pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// The sub-protocol the server selected.
    pub protocol: Option<String>,
}

/// Connects with `headers` added to the upgrade request; `path_and_query` is appended to the host.
pub async fn connect_with(
    server: &CableServer,
    path_and_query: &str,
    headers: &[(&'static str, &str)],
) -> Client {
    let url = format!("ws://{}{}", server.local_addr(), path_and_query);
    let mut request = url.into_client_request().unwrap();
    for &(name, value) in headers {
        request
            .headers_mut()
            .insert(name, HeaderValue::from_str(value).unwrap());
    }
    let (ws, response) = tokio::time::timeout(WAIT, connect_async(request))
        .await
        .expect("connect in time")
        .expect("upgrade");
    let protocol = response
        .headers()
        .get("sec-websocket-protocol")
        .map(|v| v.to_str().unwrap().to_owned());
    Client { ws, protocol }
}

/// Connects with a token in the sub-protocol, as `@anycable/web` does.
pub async fn connect(server: &CableServer, token: &str) -> Client {
    let protocols = format!("actioncable-v1-json, anycable-token.{token}");
    connect_with(server, "/cable", &[("sec-websocket-protocol", &protocols)]).await
}

/// Connects and consumes the welcome frame.
pub async fn welcomed(server: &CableServer) -> Client {
    let mut client = connect(server, &token(r#"{"user_id":1}"#)).await;
    let welcome = client.next_json().await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    client
}

/// A welcomed client of user 1 subscribed to the signed `stream`.
pub async fn subscribed(server: &CableServer, stream: &str) -> Client {
    let mut client = welcomed(server).await;
    assert_eq!(
        client.subscribe(&signed_identifier(stream)).await["type"],
        "confirm_subscription"
    );
    client
}

/// The sub-protocol header of an extended-protocol client with the token of user 1.
pub fn ext_protocols() -> String {
    format!(
        "actioncable-v1-ext-json, anycable-token.{}",
        token(r#"{"user_id":1}"#)
    )
}

/// An extended-protocol client (user 1), welcomed.
pub async fn ext_client(server: &CableServer) -> Client {
    let protocols = ext_protocols();
    let mut client =
        connect_with(server, "/cable", &[("sec-websocket-protocol", &protocols)]).await;
    assert_eq!(client.protocol.as_deref(), Some("actioncable-v1-ext-json"));
    let welcome = client.next_json().await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    client
}

/// Publishes `count` broadcasts of `message` (JSON) to `stream`, each delivered before the next
/// is published. A subscriber that reads nothing takes them into the kernel's socket buffers
/// first (the server writes straight to the socket), so flooding it means more than those hold.
pub async fn flood(server: &CableServer, stream: &str, message: &str, count: usize) {
    for _ in 0..count {
        server.publish(anycable_core::Publication::new(stream, message.to_owned()).unwrap());
        tokio::task::yield_now().await;
    }
}

impl Client {
    /// Reads past broadcasts (and pings) to the first other frame: how many broadcasts came
    /// first, and that frame.
    pub async fn skip_broadcasts(&mut self) -> (usize, Value) {
        let mut broadcasts = 0;
        loop {
            let frame = self.next_json().await;
            if frame.get("message").is_none() {
                return (broadcasts, frame);
            }
            broadcasts += 1;
        }
    }

    pub async fn send_json(&mut self, value: Value) {
        self.ws
            .send(Message::text(value.to_string()))
            .await
            .unwrap();
    }

    pub async fn send_raw(&mut self, message: Message) {
        self.ws.send(message).await.unwrap();
    }

    /// The next text frame that is not a ping, as JSON. One deadline for the whole wait: pings
    /// arriving every few seconds must not keep a test waiting forever for a frame that never comes.
    pub async fn next_json(&mut self) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let message = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .expect("a frame in time")
                .map(|r| r.expect("readable"));
            match message {
                Some(Message::Text(text)) => {
                    let value: Value = serde_json::from_str(&text).unwrap();
                    if value["type"] != "ping" {
                        return value;
                    }
                }
                Some(Message::Ping(_)) | Some(Message::Pong(_)) => {}
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }

    pub async fn next_message(&mut self) -> Option<Message> {
        tokio::time::timeout(WAIT, self.ws.next())
            .await
            .expect("a frame in time")
            .map(|r| r.expect("readable"))
    }

    /// Expects no non-ping frame within `within`.
    pub async fn expect_silence(&mut self, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return,
                Ok(Some(Ok(Message::Text(text)))) if text.contains(r#""type":"ping""#) => {}
                Ok(other) => panic!("expected silence, got {other:?}"),
            }
        }
    }

    /// Reads until the close frame and returns its code and reason.
    pub async fn expect_close(&mut self) -> (CloseCode, String) {
        loop {
            match self.next_message().await {
                Some(Message::Close(Some(frame))) => return (frame.code, frame.reason.to_string()),
                Some(Message::Close(None)) | None => panic!("closed without a close frame"),
                Some(_) => {}
            }
        }
    }

    pub async fn subscribe(&mut self, identifier: &str) -> Value {
        self.send_json(json!({"command": "subscribe", "identifier": identifier}))
            .await;
        self.next_json().await
    }
}

/// Waits until `stats()` says the server has `subscriptions` subscriptions.
pub async fn until_subscriptions(server: &CableServer, subscriptions: usize) {
    tokio::time::timeout(WAIT, async {
        while server.stats().subscriptions != subscriptions {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("subscriptions settle");
}

/// A plain HTTP/1.1 request over a fresh connection; returns the status code and body.
pub async fn http(
    server: &CableServer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(WAIT, stream.read_to_string(&mut response))
        .await
        .expect("response in time")
        .unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status line");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// A redis-server of the test's own on a free loopback port, stopped when dropped.
pub struct RedisServer {
    pub port: u16,
    process: Option<std::process::Child>,
}

impl RedisServer {
    pub async fn start() -> RedisServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        RedisServer::start_on(port).await
    }

    pub async fn start_on(port: u16) -> RedisServer {
        RedisServer::start_on_with(port, &[]).await
    }

    /// A server on a free port with `extra` options after the defaults (later ones win), e.g.
    /// `--appendonly yes --dir <tmp>` for one that restarts from its files.
    pub async fn start_with(extra: &[&str]) -> RedisServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        RedisServer::start_on_with(port, extra).await
    }

    /// As [`RedisServer::start_with`], on `port` (to restart a stopped one in its place).
    pub async fn start_on_with(port: u16, extra: &[&str]) -> RedisServer {
        let port_text = port.to_string();
        let defaults = [
            "--port",
            &port_text,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ];
        let process = std::process::Command::new("redis-server")
            .args(defaults.iter().chain(extra))
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is installed (scripts/test.sh installs it)");
        tokio::time::timeout(WAIT, async {
            while TcpStream::connect(("127.0.0.1", port)).await.is_err() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("redis-server starts");
        RedisServer {
            port,
            process: Some(process),
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }

    /// Freezes the server (SIGSTOP): its sockets stay open but nothing answers, like a Redis
    /// stuck on a slow disk or a long-running command.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Thaws a paused server (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let process = self.process.as_ref().expect("redis-server is running");
        let status = std::process::Command::new("kill")
            .args([signal, &process.id().to_string()])
            .status()
            .expect("kill(1) runs");
        assert!(status.success(), "kill {signal} redis-server");
    }

    /// Any command, e.g. `XADD` as an application would; panics on an error reply.
    pub async fn command(&self, args: &[&str]) -> redis::Value {
        let client = redis::Client::open(self.url()).unwrap();
        let mut connection = client.get_multiplexed_async_connection().await.unwrap();
        let mut command = redis::cmd(args[0]);
        for arg in &args[1..] {
            command.arg(*arg);
        }
        command
            .query_async(&mut connection)
            .await
            .unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    /// `PUBLISH channel payload`, as an application would.
    pub async fn publish(&self, channel: &str, payload: &str) -> i64 {
        let client = redis::Client::open(self.url()).unwrap();
        let mut connection = client.get_multiplexed_async_connection().await.unwrap();
        redis::cmd("PUBLISH")
            .arg(channel)
            .arg(payload)
            .query_async(&mut connection)
            .await
            .unwrap()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
