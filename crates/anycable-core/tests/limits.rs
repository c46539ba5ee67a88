//! Per-connection bounds: subscriptions, identifier length, outgoing bytes, command rate, and the
//! names a client may reach (public prefixes, canonical signatures). Each bound stops one client
//! and leaves everyone else served.

mod support;

use std::time::Duration;

use anycable_core::MAX_IDENTIFIER_BYTES;
use anycable_core::{CableServer, Config, Publication};
use futures_util::StreamExt;
use serde_json::{json, Value};
use support::*;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

/// A bystander subscribed to `stream`, to prove others keep their messages.
async fn bystander(server: &CableServer, stream: &str) -> Client {
    let mut client = welcomed(server).await;
    assert_eq!(
        client.subscribe(&signed_identifier(stream)).await["type"],
        "confirm_subscription"
    );
    client
}

async fn still_served(server: &CableServer, client: &mut Client, stream: &str) {
    server.publish(Publication::new(stream, r#"{"still":"here"}"#.into()).unwrap());
    assert_eq!(
        client.next_json().await["message"],
        json!({"still": "here"})
    );
}

fn public_config() -> Config {
    Config {
        public_streams: true,
        ..config()
    }
}

#[tokio::test]
async fn subscriptions_over_max_subscriptions_are_rejected_and_the_connection_stays() {
    let server = start(Config {
        max_subscriptions: 3,
        ..public_config()
    })
    .await;
    let mut client = welcomed(&server).await;
    for n in 0..3 {
        let id = public_identifier(&format!("s{n}"));
        assert_eq!(client.subscribe(&id).await["type"], "confirm_subscription");
    }
    let fourth = public_identifier("s3");
    assert_eq!(
        client.subscribe(&fourth).await,
        json!({"type": "reject_subscription", "identifier": fourth})
    );
    assert_eq!(server.stats().subscriptions, 3);

    // Leaving one makes room again, and the connection serves as before.
    client
        .send_json(json!({"command": "unsubscribe", "identifier": public_identifier("s0")}))
        .await;
    assert_eq!(
        client.subscribe(&fourth).await["type"],
        "confirm_subscription"
    );
    still_served(&server, &mut client, "s3").await;
}

/// A public `$pubsub` identifier padded to exactly `len` bytes.
fn identifier_of_length(len: usize) -> String {
    let bare = json!({"channel": "$pubsub", "pad": "", "stream_name": "long"}).to_string();
    let identifier =
        json!({"channel": "$pubsub", "pad": "x".repeat(len - bare.len()), "stream_name": "long"})
            .to_string();
    assert_eq!(identifier.len(), len);
    identifier
}

#[tokio::test]
async fn identifiers_over_4_kib_are_rejected_and_the_connection_stays() {
    let server = start(public_config()).await;
    let mut client = welcomed(&server).await;
    let too_long = identifier_of_length(MAX_IDENTIFIER_BYTES + 1);
    assert_eq!(
        client.subscribe(&too_long).await,
        json!({"type": "reject_subscription", "identifier": too_long})
    );
    let longest = identifier_of_length(MAX_IDENTIFIER_BYTES);
    assert_eq!(
        client.subscribe(&longest).await["type"],
        "confirm_subscription"
    );
    assert_eq!(server.stats().subscriptions, 1);
}

#[tokio::test]
async fn outgoing_bytes_over_max_outgoing_bytes_are_too_slow() {
    let server = start(Config {
        max_outgoing_bytes: 16 * 1024,
        // Only the byte bound is under test: the flood is far below this many frames.
        outgoing_queue: 1 << 20,
        ..config()
    })
    .await;
    let mut other = bystander(&server, "calm").await;
    let mut slow = bystander(&server, "firehose").await;
    // 8 MiB that the client does not read: once the kernel's buffers are full, frames queue
    // until they hold 16 KiB.
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
}

#[tokio::test]
async fn one_broadcast_larger_than_max_outgoing_bytes_is_still_delivered() {
    let server = start(Config {
        max_outgoing_bytes: 16 * 1024,
        ..config()
    })
    .await;
    let mut client = bystander(&server, "big").await;
    let big = "y".repeat(100 * 1024);
    server.publish(Publication::new("big", format!("\"{big}\"")).unwrap());
    assert_eq!(client.next_json().await["message"], json!(big));
    still_served(&server, &mut client, "big").await;
}

/// Reads text frames until `deadline`, counting those that are whispers (not pings).
async fn count_whispers(client: &mut Client, deadline: Instant) -> usize {
    let mut whispers = 0;
    while let Ok(Some(Ok(message))) = tokio::time::timeout_at(deadline, client.ws.next()).await {
        if let Message::Text(text) = message {
            let frame: Value = serde_json::from_str(&text).unwrap();
            assert_ne!(frame["type"], "disconnect", "{frame}");
            if frame["message"]["typing"].is_number() {
                whispers += 1;
            }
        }
    }
    whispers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whisper_flood_is_read_at_command_rate_and_others_keep_their_messages() {
    const RATE: u32 = 50;
    let server = start(Config {
        command_rate: RATE,
        ..public_config()
    })
    .await;
    let room = public_identifier("room");
    let mut listener = welcomed(&server).await;
    assert_eq!(
        listener.subscribe(&room).await["type"],
        "confirm_subscription"
    );
    let mut flooder = welcomed(&server).await;
    assert_eq!(
        flooder.subscribe(&room).await["type"],
        "confirm_subscription"
    );

    let started = Instant::now();
    let whisper = json!({"command": "whisper", "identifier": room, "data": {"typing": 1}});
    let flood = tokio::spawn(async move {
        for _ in 0..2000 {
            flooder.send_json(whisper.clone()).await;
        }
        flooder
    });
    let whispers = count_whispers(&mut listener, Instant::now() + Duration::from_secs(1)).await;
    // A burst of RATE commands (its subscribe took one), then RATE per second.
    let allowed = f64::from(RATE) * (1.0 + started.elapsed().as_secs_f64());
    eprintln!("{whispers} whispers relayed in {:?}", started.elapsed());
    assert!(whispers > 0, "whispers still flow");
    assert!(
        (whispers as f64) <= allowed,
        "{whispers} whispers in {:?}, at most {allowed} allowed",
        started.elapsed()
    );

    // Both keep their connections: the flooder is slowed, not dropped, and broadcasts reach both.
    let mut flooder = tokio::time::timeout(WAIT, flood)
        .await
        .expect("its frames fit the socket buffers")
        .unwrap();
    server.publish(Publication::new("room", r#"{"to":"all"}"#.into()).unwrap());
    for client in [&mut listener, &mut flooder] {
        receives_among_whispers(client, json!({"to": "all"})).await;
    }
}

/// Reads past whispers until a broadcast of `message` arrives.
async fn receives_among_whispers(client: &mut Client, message: Value) {
    loop {
        let frame = client.next_json().await;
        if frame["message"] == message {
            return;
        }
        assert!(frame["message"]["typing"].is_number(), "{frame}");
    }
}

#[tokio::test]
async fn signed_names_with_upper_case_digests_are_rejected() {
    let server = start(config()).await;
    let mut client = welcomed(&server).await;
    let signed = signed("chat/1");
    let (data, digest) = signed.rsplit_once("--").unwrap();
    assert_ne!(digest, digest.to_uppercase(), "a digest with letters");
    let lower = signed_identifier("chat/1");
    let upper = json!({"channel": "$pubsub", "signed_stream_name": format!("{data}--{}", digest.to_uppercase())})
        .to_string();
    assert_eq!(
        client.subscribe(&lower).await["type"],
        "confirm_subscription"
    );
    assert_eq!(
        client.subscribe(&upper).await,
        json!({"type": "reject_subscription", "identifier": upper})
    );
    // One subscription, so one copy of each broadcast.
    server.publish(Publication::new("chat/1", "1".into()).unwrap());
    assert_eq!(
        without_position(client.next_json().await),
        json!({"identifier": lower, "message": 1})
    );
    client.expect_silence(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn public_streams_prefix_keeps_signed_streams_private() {
    let server = start(Config {
        public_streams_prefix: vec!["public/".into()],
        streams_whisper: true,
        ..public_config()
    })
    .await;
    let mut member = bystander(&server, "chat/1").await;
    let mut stranger = welcomed(&server).await;
    let behind_signature = public_identifier("chat/1");
    assert_eq!(
        stranger.subscribe(&behind_signature).await,
        json!({"type": "reject_subscription", "identifier": behind_signature})
    );
    // Not subscribed, so its whisper goes nowhere.
    stranger
        .send_json(json!({"command": "whisper", "identifier": behind_signature, "data": {"x": 1}}))
        .await;
    member.expect_silence(Duration::from_millis(200)).await;

    let lobby = public_identifier("public/lobby");
    assert_eq!(
        stranger.subscribe(&lobby).await["type"],
        "confirm_subscription"
    );
    still_served(&server, &mut stranger, "public/lobby").await;
}
