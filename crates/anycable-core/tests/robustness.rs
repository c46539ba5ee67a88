//! Bad input, slow clients and shutdown: each ends one connection the right way and leaves
//! everyone else untouched.

mod support;

use std::time::Duration;

use anycable_core::{Config, Publication};
use serde_json::json;
use support::*;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

/// A bystander subscribed to `stream`, to prove others keep their messages.
async fn bystander(server: &anycable_core::CableServer, stream: &str) -> Client {
    let mut client = welcomed(server).await;
    assert_eq!(
        client.subscribe(&signed_identifier(stream)).await["type"],
        "confirm_subscription"
    );
    client
}

async fn still_served(server: &anycable_core::CableServer, client: &mut Client, stream: &str) {
    server.publish(Publication::new(stream, r#"{"still":"here"}"#.into()).unwrap());
    assert_eq!(
        client.next_json().await["message"],
        json!({"still": "here"})
    );
}

#[tokio::test]
async fn malformed_json_closes_with_1007() {
    let server = start(config()).await;
    let mut other = bystander(&server, "calm").await;
    for junk in ["{not json", "[]", "42"] {
        let mut client = welcomed(&server).await;
        client.send_raw(Message::text(junk)).await;
        assert_eq!(client.expect_close().await.0, CloseCode::Invalid, "{junk}");
    }
    still_served(&server, &mut other, "calm").await;
}

#[tokio::test]
async fn binary_frames_close_with_1003() {
    let server = start(config()).await;
    let mut other = bystander(&server, "calm").await;
    let mut client = welcomed(&server).await;
    client.send_raw(Message::binary(vec![1, 2, 3])).await;
    assert_eq!(client.expect_close().await.0, CloseCode::Unsupported);
    still_served(&server, &mut other, "calm").await;
}

#[tokio::test]
async fn frames_over_max_message_size_close_with_1009() {
    let server = start(Config {
        max_message_size: 1024,
        ..config()
    })
    .await;
    let mut other = bystander(&server, "calm").await;
    let mut client = welcomed(&server).await;
    let big = json!({"command": "subscribe", "identifier": "x".repeat(2048)}).to_string();
    client.send_raw(Message::text(big)).await;
    assert_eq!(client.expect_close().await.0, CloseCode::Size);
    still_served(&server, &mut other, "calm").await;
}

#[tokio::test]
async fn a_client_that_cannot_keep_up_is_disconnected_as_too_slow() {
    let server = start(Config {
        outgoing_queue: 8,
        // Only the frame bound is under test.
        max_outgoing_bytes: 1 << 30,
        ..config()
    })
    .await;
    let mut other = bystander(&server, "calm").await;
    let mut slow = welcomed(&server).await;
    slow.subscribe(&signed_identifier("firehose")).await;
    // 8 MiB that the client does not read: once the kernel's buffers are full, frames queue, and
    // the ninth is one too many.
    let kib = format!("\"{}\"", "x".repeat(1024));
    flood(&server, "firehose", &kib, 8 * 1024).await;
    let (broadcasts, frame) = slow.skip_broadcasts().await;
    assert_eq!(
        frame,
        json!({"type": "disconnect", "reason": "too_slow", "reconnect": true})
    );
    assert!(broadcasts < 8 * 1024, "{broadcasts} broadcasts before it");
    assert_eq!(slow.expect_close().await.0, CloseCode::Normal);
    still_served(&server, &mut other, "calm").await;
    until_subscriptions(&server, 1).await;
}

#[tokio::test]
async fn shutdown_tells_every_client_to_reconnect_then_stops_accepting() {
    let server = start(config()).await;
    let mut a = welcomed(&server).await;
    let mut b = welcomed(&server).await;
    a.subscribe(&signed_identifier("s")).await;
    assert_eq!(server.stats().connections, 2);
    let address = server.local_addr();
    tokio::time::timeout(Duration::from_secs(10), server.shutdown())
        .await
        .expect("shutdown in time");
    for client in [&mut a, &mut b] {
        assert_eq!(
            client.next_json().await,
            json!({"type": "disconnect", "reason": "server_restart", "reconnect": true})
        );
        assert_eq!(
            client.expect_close().await,
            (CloseCode::Away, "Server restart".to_string())
        );
    }
    assert_eq!(server.stats().connections, 0);
    assert_eq!(server.stats().subscriptions, 0);
    assert!(
        tokio::net::TcpStream::connect(address).await.is_err(),
        "no longer listening"
    );
}
