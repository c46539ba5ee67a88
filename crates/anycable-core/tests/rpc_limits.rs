//! An RPC endpoint that answers with an endless body: the call fails at the size limit, like an
//! HTTP error, instead of reading on until the timeout.

mod support;

use std::time::Duration;

use anycable_core::Config;
use anycable_core::MAX_RPC_RESPONSE_BYTES;
use serde_json::json;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the endpoint sends before stalling: far over the limit, yet bounded, so that a server
/// without a limit costs this test 64 MiB rather than all the memory it can read in its timeout.
const SENT: usize = 64 << 20;

/// An HTTP server answering every request with a chunked body of `SENT` bytes, then nothing
/// (the connection stays open and the body never ends).
async fn endless_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(answer_endlessly(socket));
        }
    });
    format!("http://{address}/rpc")
}

async fn answer_endlessly(mut socket: TcpStream) {
    // The request itself does not matter: read its head (and a small body) before answering.
    let mut request = [0u8; 16 * 1024];
    if socket.read(&mut request).await.is_err() {
        return;
    }
    let head =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    if socket.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let chunk_data = vec![b' '; 64 * 1024];
    let mut chunk = format!("{:x}\r\n", chunk_data.len()).into_bytes();
    chunk.extend_from_slice(&chunk_data);
    chunk.extend_from_slice(b"\r\n");
    for _ in 0..SENT / chunk_data.len() {
        if socket.write_all(&chunk).await.is_err() {
            return;
        }
    }
    std::future::pending::<()>().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_rpc_response_fails_the_call_at_the_limit() {
    const { assert!(MAX_RPC_RESPONSE_BYTES < SENT) };
    let server = start(Config {
        rpc_host: Some(endless_endpoint().await),
        // Long enough that only the size limit can end the calls within the test's wait.
        rpc_timeout: Duration::from_secs(60),
        ..config()
    })
    .await;

    // connect (a tokenless client): unauthorized.
    let mut anonymous = connect_with(&server, "/cable", &[]).await;
    assert_eq!(
        anonymous.next_json().await,
        json!({"type": "disconnect", "reason": "unauthorized", "reconnect": false})
    );

    // command (an application channel): rejected, and the connection stays.
    let mut client = welcomed(&server).await;
    let room = json!({"channel": "RoomChannel"}).to_string();
    assert_eq!(
        client.subscribe(&room).await,
        json!({"type": "reject_subscription", "identifier": room})
    );
    let calm = signed_identifier("calm");
    assert_eq!(
        client.subscribe(&calm).await["type"],
        "confirm_subscription"
    );
}
