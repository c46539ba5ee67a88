//! Connections that never finish their request or upgrade: closed after `handshake_timeout`, and
//! at `max_pending_connections` the oldest goes first; `max_connections` answers 503 beyond it.

mod support;

use std::time::Duration;

use anycable_core::{CableServer, Config};
use support::raw::{request_head, upgrade_head, KEY};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// Generous: "it arrives" on a slow, shared machine.
const EVENTUALLY: Duration = Duration::from_secs(10);

async fn open(server: &CableServer, bytes: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    stream
}

/// Reads until the server closes the connection; returns what it sent.
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    tokio::time::timeout(EVENTUALLY, stream.read_to_end(&mut received))
        .await
        .expect("the server closes the connection")
        .ok();
    String::from_utf8_lossy(&received).into_owned()
}

async fn still_open(stream: &mut TcpStream) -> bool {
    let mut byte = [0];
    tokio::time::timeout(Duration::from_millis(300), stream.read(&mut byte))
        .await
        .is_err()
}

#[tokio::test]
async fn stalled_connections_are_closed_after_the_handshake_timeout() {
    let timeout = Duration::from_millis(600);
    let server = start(Config {
        handshake_timeout: timeout,
        ..config()
    })
    .await;
    let started = Instant::now();
    let mut silent = open(&server, b"").await;
    let mut half_request = open(&server, b"GET /cable HTTP/1.1\r\nHost: loc").await;
    let mut half_upgrade = open(
        &server,
        upgrade_head("HTTP/1.1", KEY, "\r\nX-Partial: ").as_bytes(),
    )
    .await;
    let stalled_broadcast = format!(
        "POST /_broadcast HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\nContent-Length: 100\r\n\r\n{{\"stream\":",
        anycable_core::broadcast_key(SECRET.as_bytes())
    );
    let mut stalled_body = open(&server, stalled_broadcast.as_bytes()).await;
    let mut idle_keep_alive =
        open(&server, b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n").await;

    for stream in [&mut silent, &mut half_request, &mut half_upgrade] {
        assert_eq!(until_closed(stream).await, "");
    }
    let answer = until_closed(&mut stalled_body).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let answer = until_closed(&mut idle_keep_alive).await;
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.ends_with("OK"),
        "{answer}"
    );
    assert!(started.elapsed() >= timeout, "closed before the deadline");
    // Real clients are served all along.
    welcomed(&server).await;
}

#[tokio::test]
async fn at_the_pending_cap_the_oldest_unfinished_connection_is_closed() {
    let server = start(Config {
        max_pending_connections: 3,
        handshake_timeout: Duration::from_secs(60),
        ..config()
    })
    .await;
    let mut stalled = Vec::new();
    for _ in 0..3 {
        stalled.push(open(&server, b"GET /cable HTTP/1.1\r\n").await);
        // Accepted in order: a request answered after it proves the server took it.
        assert_eq!(http(&server, "GET", "/health", &[], "").await.0, 200);
    }
    let _fourth = open(&server, b"GET /cable HTTP/1.1\r\n").await;
    assert_eq!(until_closed(&mut stalled[0]).await, "");
    assert!(still_open(&mut stalled[1]).await);
    assert!(still_open(&mut stalled[2]).await);
    // A real client makes room for itself the same way.
    welcomed(&server).await;
    assert_eq!(until_closed(&mut stalled[1]).await, "");
}

#[tokio::test]
async fn upgrades_beyond_max_connections_get_503() {
    let server = start(Config {
        max_connections: 2,
        ..config()
    })
    .await;
    let mut first = welcomed(&server).await;
    let _second = welcomed(&server).await;
    let (_, status) = request_head(&server, &upgrade_head("HTTP/1.1", KEY, "")).await;
    assert_eq!(status, 503);
    assert_eq!(http(&server, "GET", "/health", &[], "").await.0, 200);
    first.ws.close(None).await.unwrap();
    tokio::time::timeout(EVENTUALLY, async {
        while server.stats().connections > 1 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the first session ends");
    welcomed(&server).await;
}
