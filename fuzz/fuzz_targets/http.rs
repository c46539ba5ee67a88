//! The HTTP and WebSocket path: fuzz input is what a client sends on one connection, served by
//! the real server code (routes, upgrade, session, application calls) over a socket pair.
//! The server must not panic, and must close within a bounded time once the client has said
//! everything and closed its side.
//!
//! The runtime's clock is paused: it jumps to the next timer whenever every task waits, so the
//! client can wait until the server has nothing left to do before closing (hyper drops a
//! pending answer when the client closes first), and the server's own timers (pings, write and
//! call timeouts) cost no real time.
//!
//! Input: request bytes; if what follows the first blank line starts with 0xFF, it is a list of
//! 0xFF-separated WebSocket frames, written as a client masks them, each chunk's first byte
//! choosing the frame (see [`frame`]); otherwise it is sent as it is (a request body, more
//! requests, or raw bytes after an upgrade).

#![no_main]

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use anycable_core::{CallFuture, Method, Transport};
use anycable_core::{CableServer, Config};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::net::UnixStream;
use tokio::runtime::Runtime;

/// Virtual time the client waits for the server to go idle before closing its side; shorter
/// than the ping interval.
const SETTLE: Duration = Duration::from_secs(1);

/// Virtual time the server has to close after the client closed: longer than any timer of its own.
const BOUND: Duration = Duration::from_secs(60);

static RUNTIME: LazyLock<Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a runtime")
});

/// One server for the whole run: signed streams, Turbo, whispers, JWT and an application.
static SERVER: LazyLock<CableServer> = LazyLock::new(|| {
    let config = Config {
        port: 0,
        secret: Some("fuzzing-secret".into()),
        public_streams: true,
        turbo_streams: true,
        streams_whisper: true,
        allowed_origins: vec![
            "https://*.anycable.io".into(),
            "http://localhost:3000".into(),
        ],
        max_message_size: 4096,
        // Refused broadcasts and closed sessions are the fuzzer's every input, not news.
        log_level: "error".into(),
        ..Config::default()
    };
    RUNTIME
        .block_on(CableServer::start_with(config, Some(Arc::new(Application))))
        .expect("the server starts")
});

fuzz_target!(|input: &[u8]| {
    let server = &*SERVER;
    RUNTIME.block_on(async {
        // A socket pair: the server writes sessions' frames straight to a socket.
        let (client, server_end) = UnixStream::pair().expect("a socket pair");
        tokio::spawn(server.serve_stream(server_end));
        tokio::time::timeout(BOUND, converse(client, &client_bytes(input)))
            .await
            .unwrap_or_else(|_| panic!("the server did not close within {BOUND:?}"));
    });
});

/// Sends everything, lets the server answer, and closes the sending side, reading what the
/// server says until it closes.
async fn converse(client: UnixStream, bytes: &[u8]) {
    let (mut reader, mut writer) = tokio::io::split(client);
    let send = async {
        let _ = writer.write_all(bytes).await;
        tokio::time::sleep(SETTLE).await;
        let _ = writer.shutdown().await;
    };
    let mut answer = tokio::io::sink();
    let receive = tokio::io::copy(&mut reader, &mut answer);
    let (_, _) = tokio::join!(send, receive);
}

/// The bytes of `input` as the client sends them: its head as is, the rest framed if it asks.
fn client_bytes(input: &[u8]) -> Vec<u8> {
    let Some(end) = input.windows(4).position(|w| w == b"\r\n\r\n") else {
        return input.to_vec();
    };
    let (head, rest) = input.split_at(end + 4);
    let Some(frames) = rest.strip_prefix(b"\xff") else {
        return input.to_vec();
    };
    let mut bytes = head.to_vec();
    for chunk in frames.split(|&byte| byte == 0xff) {
        frame(chunk, &mut bytes);
    }
    bytes
}

/// One client frame from `chunk`: `T` text, `B` binary, `P` ping, `O` pong, `C` close, `F` a
/// first text fragment, `M` a middle and `N` a last continuation fragment, `R` raw bytes, each
/// followed by the payload; anything else is a whole text frame.
fn frame(chunk: &[u8], out: &mut Vec<u8>) {
    const FIN: u8 = 0x80;
    let (first, payload) = match chunk.split_first() {
        Some((b'T', payload)) => (FIN | 0x1, payload),
        Some((b'B', payload)) => (FIN | 0x2, payload),
        Some((b'C', payload)) => (FIN | 0x8, payload),
        Some((b'P', payload)) => (FIN | 0x9, payload),
        Some((b'O', payload)) => (FIN | 0xA, payload),
        Some((b'F', payload)) => (0x1, payload),
        Some((b'M', payload)) => (0x0, payload),
        Some((b'N', payload)) => (FIN, payload),
        Some((b'R', raw)) => return out.extend_from_slice(raw),
        _ => (FIN | 0x1, chunk),
    };
    out.push(first);
    const MASKED: u8 = 0x80;
    match payload.len() {
        len @ 0..=125 => out.push(MASKED | len as u8),
        len @ 126..=0xFFFF => {
            out.push(MASKED | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            out.push(MASKED | 127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    out.extend_from_slice(&mask);
    out.extend(payload.iter().zip(mask.iter().cycle()).map(|(b, m)| b ^ m));
}

/// An in-process application: accepts tokenless connections and answers channel commands with
/// streams and transmissions; `reject`, `disconnect` or `stop` in the data change its answer.
struct Application;

impl Transport for Application {
    fn call(&self, method: Method, _sid: &str, request: String) -> CallFuture {
        let response = match method {
            Method::Connect => json!({
                "status": 1,
                "identifiers": r#"{"user":"fuzz"}"#,
                "transmissions": [r#"{"type":"welcome"}"#],
            }),
            Method::Command => command_response(&request),
            Method::Disconnect => json!({"status": 1}),
        };
        Box::pin(async move { Ok(response.to_string()) })
    }
}

fn command_response(request: &str) -> Value {
    let request: Value = serde_json::from_str(request).expect("the server sends JSON");
    let identifier = request["identifier"].as_str().unwrap_or_default();
    let data = request["data"].as_str().unwrap_or_default();
    let status = if data.contains("reject") { 2 } else { 1 };
    json!({
        "status": status,
        "disconnect": data.contains("disconnect"),
        "stop_streams": data.contains("stop"),
        "streams": [format!("app:{identifier}")],
        "transmissions": [json!({"identifier": identifier, "message": data}).to_string()],
    })
}
