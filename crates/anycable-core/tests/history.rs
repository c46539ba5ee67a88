//! Reliable streams over real sockets: offsets on every kept broadcast, history on `subscribe` and
//! with the `history` command, with this project's decided answers (ext-protocol.md §7.3,
//! scenarios 9–26), and a replay racing live broadcasts.

mod support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anycable_core::{broadcast_key, CableServer, Config, Publication};
use serde_json::{json, Value};
use support::*;

const QUIET: Duration = Duration::from_millis(500);

fn reliable() -> Config {
    Config {
        public_streams: true,
        ..config()
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// `B(stream, data)`: an HTTP broadcast, as the scenarios send them.
async fn http_broadcast(server: &CableServer, stream: &str, data: &str) {
    let key = broadcast_key(SECRET.as_bytes());
    let body = json!({"stream": stream, "data": data}).to_string();
    let (status, _) = http(
        server,
        "POST",
        "/_broadcast",
        &[("Authorization", &format!("Bearer {key}"))],
        &body,
    )
    .await;
    assert_eq!(status, 201);
}

/// A client subscribed to `stream`, watching it so that a test knows when a broadcast is kept.
async fn watcher(server: &CableServer, stream: &str) -> Client {
    let mut client = ext_client(server).await;
    let confirm = client.subscribe(&public_identifier(stream)).await;
    assert_eq!(confirm["type"], "confirm_subscription");
    client
}

/// Broadcasts `n` messages `{"n":…}` to `stream` and waits until `watcher` saw them; returns
/// their frames.
async fn kept(server: &CableServer, watcher: &mut Client, stream: &str, n: u32) -> Vec<Value> {
    let mut frames = Vec::new();
    for i in 1..=n {
        server.publish(Publication::new(stream, json!({ "n": i }).to_string()).unwrap());
        frames.push(watcher.next_json().await);
    }
    frames
}

fn offset(frame: &Value) -> u64 {
    frame["offset"]
        .as_u64()
        .unwrap_or_else(|| panic!("no offset in {frame}"))
}

async fn expect_type(client: &mut Client, kind: &str, identifier: &str) {
    let frame = client.next_json().await;
    assert_eq!(frame, json!({"type": kind, "identifier": identifier}));
}

async fn send_history(client: &mut Client, identifier: &str, history: Value) {
    client
        .send_json(json!({"command": "history", "identifier": identifier, "history": history}))
        .await;
}

fn position(stream: &str, epoch: &Value, offset: u64) -> Value {
    json!({"streams": {stream: {"epoch": epoch, "offset": offset}}})
}

#[tokio::test]
async fn s09_broadcasts_carry_stream_epoch_and_consecutive_offsets() {
    let server = start(reliable()).await;
    let id = public_identifier("chat_42");
    let mut client = watcher(&server, "chat_42").await;
    http_broadcast(&server, "chat_42", r#"{"text":"hi"}"#).await;
    http_broadcast(&server, "chat_42", r#"{"text":"hi"}"#).await;
    let first = client.next_json().await;
    let second = client.next_json().await;
    let epoch = first["epoch"].clone();
    assert_eq!(epoch.as_str().map(str::len), Some(4), "{first}");
    assert_eq!(
        first,
        json!({"identifier": id, "message": {"text": "hi"}, "stream_id": "chat_42", "epoch": epoch, "offset": 1})
    );
    assert_eq!(
        second,
        json!({"identifier": id, "message": {"text": "hi"}, "stream_id": "chat_42", "epoch": epoch, "offset": 2})
    );
}

#[tokio::test]
async fn s10_offsets_start_at_one_per_stream() {
    let server = start(reliable()).await;
    let mut client = ext_client(&server).await;
    for stream in ["s_a", "s_b"] {
        client.subscribe(&public_identifier(stream)).await;
    }
    http_broadcast(&server, "s_a", "1").await;
    http_broadcast(&server, "s_b", "1").await;
    let mut seen = vec![];
    for _ in 0..2 {
        let frame = client.next_json().await;
        seen.push((
            frame["stream_id"].as_str().unwrap().to_owned(),
            offset(&frame),
        ));
    }
    seen.sort();
    assert_eq!(seen, [("s_a".to_owned(), 1), ("s_b".to_owned(), 1)]);
}

#[tokio::test]
async fn s11_non_json_data_is_a_string_with_its_position() {
    let server = start(reliable()).await;
    let mut client = watcher(&server, "chat_42").await;
    http_broadcast(&server, "chat_42", "plain text").await;
    let frame = client.next_json().await;
    assert_eq!(frame["message"], "plain text");
    assert_eq!(
        (frame["stream_id"].as_str(), offset(&frame)),
        (Some("chat_42"), 1)
    );
}

/// Scenarios 12 and 14: the plain `since` and the JS client's `streams: {}` replay the same.
#[tokio::test]
async fn s12_s14_subscribe_with_since_confirms_replays_in_order_then_confirms_history() {
    let server = start(reliable()).await;
    let mut watching = watcher(&server, "chat_42").await;
    let live = kept(&server, &mut watching, "chat_42", 2).await;
    let id = public_identifier("chat_42");
    for history in [
        json!({"since": now() - 30}),
        json!({"since": now() - 30, "streams": {}}),
    ] {
        let mut client = ext_client(&server).await;
        client
            .send_json(json!({"command": "subscribe", "identifier": id, "history": history}))
            .await;
        expect_type(&mut client, "confirm_subscription", &id).await;
        assert_eq!(client.next_json().await, live[0]);
        assert_eq!(client.next_json().await, live[1]);
        expect_type(&mut client, "confirm_history", &id).await;
    }
}

#[tokio::test]
async fn s13_nothing_to_replay_is_confirmed_with_nothing_between() {
    let server = start(reliable()).await;
    let mut watching = watcher(&server, "chat_42").await;
    kept(&server, &mut watching, "chat_42", 1).await;
    for (stream, since) in [("chat_42", now() + 60), ("never_broadcast", now() - 30)] {
        let id = public_identifier(stream);
        let mut client = ext_client(&server).await;
        client
            .send_json(
                json!({"command": "subscribe", "identifier": id, "history": {"since": since}}),
            )
            .await;
        expect_type(&mut client, "confirm_subscription", &id).await;
        expect_type(&mut client, "confirm_history", &id).await;
        client.expect_silence(QUIET).await;
    }
}

/// Scenarios 15–18: by offset, up to date, another epoch, beyond the latest.
#[tokio::test]
async fn s15_to_s18_the_history_command_by_offset() {
    let server = start(reliable()).await;
    let id = public_identifier("chat_42");
    let mut client = watcher(&server, "chat_42").await;
    let live = kept(&server, &mut client, "chat_42", 3).await;
    let epoch = live[0]["epoch"].clone();
    let mut asking = watcher(&server, "chat_42").await;

    send_history(&mut asking, &id, position("chat_42", &epoch, 1)).await;
    assert_eq!(asking.next_json().await, live[1]);
    assert_eq!(asking.next_json().await, live[2]);
    expect_type(&mut asking, "confirm_history", &id).await;

    send_history(&mut asking, &id, position("chat_42", &epoch, 3)).await;
    expect_type(&mut asking, "confirm_history", &id).await;

    send_history(&mut asking, &id, position("chat_42", &json!("zzzz"), 1)).await;
    expect_type(&mut asking, "reject_history", &id).await;

    send_history(&mut asking, &id, position("chat_42", &epoch, 53)).await;
    expect_type(&mut asking, "reject_history", &id).await;
    asking.expect_silence(QUIET).await;
}

/// Decided: a request succeeds whenever nothing after its offset is missing (the reference's
/// memory broker also rejects offset 2 here).
#[tokio::test]
async fn s19_evicted_history_is_rejected_but_a_complete_tail_replays() {
    let server = start(Config {
        history_limit: 3,
        ..reliable()
    })
    .await;
    let id = public_identifier("chat_42");
    let mut client = watcher(&server, "chat_42").await;
    let live = kept(&server, &mut client, "chat_42", 5).await;
    let epoch = live[0]["epoch"].clone();
    let mut asking = watcher(&server, "chat_42").await;
    send_history(&mut asking, &id, position("chat_42", &epoch, 1)).await;
    expect_type(&mut asking, "reject_history", &id).await;
    let mut fresh = watcher(&server, "chat_42").await;
    send_history(&mut fresh, &id, position("chat_42", &epoch, 2)).await;
    for frame in &live[2..] {
        assert_eq!(&fresh.next_json().await, frame);
    }
    expect_type(&mut fresh, "confirm_history", &id).await;
    let mut other = watcher(&server, "chat_42").await;
    send_history(&mut other, &id, position("chat_42", &epoch, 3)).await;
    for frame in &live[3..] {
        assert_eq!(&other.next_json().await, frame);
    }
    expect_type(&mut other, "confirm_history", &id).await;
}

/// Decided: an up-to-date client is confirmed even when everything expired (the reference says
/// "stream is empty"); a client that missed an expired message is rejected.
#[tokio::test]
async fn s20_expired_history_is_gone() {
    let server = start(Config {
        history_ttl: Duration::from_secs(1),
        ..reliable()
    })
    .await;
    let id = public_identifier("chat_42");
    let mut client = watcher(&server, "chat_42").await;
    let live = kept(&server, &mut client, "chat_42", 1).await;
    let epoch = live[0]["epoch"].clone();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let mut asking = watcher(&server, "chat_42").await;
    send_history(&mut asking, &id, json!({"since": now() - 60})).await;
    expect_type(&mut asking, "confirm_history", &id).await;
    send_history(&mut asking, &id, position("chat_42", &epoch, 0)).await;
    expect_type(&mut asking, "reject_history", &id).await;
    send_history(&mut asking, &id, position("chat_42", &epoch, 1)).await;
    expect_type(&mut asking, "confirm_history", &id).await;
}

/// Scenarios 21 and 22: no frame, and the socket stays usable.
#[tokio::test]
async fn s21_s22_unknown_subscriptions_and_missing_payloads_get_no_answer() {
    let server = start(reliable()).await;
    let mut client = watcher(&server, "chat_42").await;
    send_history(
        &mut client,
        &public_identifier("elsewhere"),
        json!({"since": 1}),
    )
    .await;
    client
        .send_json(json!({"command": "history", "identifier": public_identifier("chat_42")}))
        .await;
    client.expect_silence(QUIET).await;
    kept(&server, &mut client, "chat_42", 1).await;
}

#[tokio::test]
async fn s23_a_rejected_subscription_gets_no_history_answer() {
    let server = start(reliable()).await;
    let mut client = ext_client(&server).await;
    let id = json!({"channel": "$pubsub", "signed_stream_name": "forged--abc"}).to_string();
    client
        .send_json(
            json!({"command": "subscribe", "identifier": id, "history": {"since": now() - 30}}),
        )
        .await;
    expect_type(&mut client, "reject_subscription", &id).await;
    client.expect_silence(QUIET).await;
}

#[tokio::test]
async fn s24_whispers_and_transient_broadcasts_have_no_position_and_are_not_replayed() {
    let server = start(reliable()).await;
    let id = public_identifier("chat_42");
    let mut whisperer = watcher(&server, "chat_42").await;
    let mut listener = watcher(&server, "chat_42").await;
    whisperer
        .send_json(json!({"command": "whisper", "identifier": id, "data": {"event": "typing"}}))
        .await;
    assert_eq!(
        listener.next_json().await,
        json!({"identifier": id, "message": {"event": "typing"}})
    );
    let transient = json!({"stream": "chat_42", "data": "{\"t\":1}", "meta": {"transient": true}});
    let key = broadcast_key(SECRET.as_bytes());
    let (status, _) = http(
        &server,
        "POST",
        "/_broadcast",
        &[("Authorization", &format!("Bearer {key}"))],
        &transient.to_string(),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(
        listener.next_json().await,
        json!({"identifier": id, "message": {"t": 1}})
    );
    let mut late = ext_client(&server).await;
    late.send_json(
        json!({"command": "subscribe", "identifier": id, "history": {"since": now() - 30}}),
    )
    .await;
    expect_type(&mut late, "confirm_subscription", &id).await;
    expect_type(&mut late, "confirm_history", &id).await;
}

#[tokio::test]
async fn s25_without_a_broker_history_is_rejected_and_frames_have_no_position() {
    let server = start(Config {
        broker: "none".into(),
        ..reliable()
    })
    .await;
    let id = public_identifier("chat_42");
    let mut client = ext_client(&server).await;
    client
        .send_json(
            json!({"command": "subscribe", "identifier": id, "history": {"since": now() - 30}}),
        )
        .await;
    expect_type(&mut client, "confirm_subscription", &id).await;
    expect_type(&mut client, "reject_history", &id).await;
    http_broadcast(&server, "chat_42", "1").await;
    assert_eq!(
        client.next_json().await,
        json!({"identifier": id, "message": 1})
    );
}

#[tokio::test]
async fn s26_since_false_asks_by_position_only() {
    let server = start(reliable()).await;
    let id = public_identifier("chat_42");
    let mut client = watcher(&server, "chat_42").await;
    let live = kept(&server, &mut client, "chat_42", 2).await;
    let epoch = live[0]["epoch"].clone();
    let mut asking = ext_client(&server).await;
    asking
        .send_json(json!({"command": "subscribe", "identifier": id,
            "history": {"since": false, "streams": {"chat_42": {"epoch": epoch, "offset": 1}}}}))
        .await;
    expect_type(&mut asking, "confirm_subscription", &id).await;
    assert_eq!(asking.next_json().await, live[1]);
    expect_type(&mut asking, "confirm_history", &id).await;
    kept(&server, &mut client, "chat_42", 1).await;
    assert_eq!(offset(&asking.next_json().await), 3, "still usable");
}

/// A subscriber asks for history while another task broadcasts without pause: what it receives
/// on the stream is every offset from the one it asked after, once each, in order.
#[tokio::test]
async fn a_replay_racing_live_broadcasts_delivers_each_offset_once_in_order() {
    let server = std::sync::Arc::new(start(reliable()).await);
    let id = public_identifier("race");
    let mut first = watcher(&server, "race").await;
    let live = kept(&server, &mut first, "race", 5).await;
    let epoch = live[0]["epoch"].clone();
    let publisher = {
        let server = std::sync::Arc::clone(&server);
        tokio::spawn(async move {
            for n in 6..=400u32 {
                server.publish(Publication::new("race", n.to_string()).unwrap());
                if n % 20 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        })
    };
    let mut client = ext_client(&server).await;
    client
        .send_json(json!({"command": "subscribe", "identifier": id,
            "history": {"streams": {"race": {"epoch": epoch, "offset": 2}}}}))
        .await;
    expect_type(&mut client, "confirm_subscription", &id).await;
    publisher.await.unwrap();
    let mut offsets = Vec::new();
    let mut confirmed = false;
    while offsets.last() != Some(&400) {
        let frame = client.next_json().await;
        if frame["type"] == "confirm_history" {
            confirmed = true;
            continue;
        }
        offsets.push(offset(&frame));
    }
    assert!(confirmed);
    assert_eq!(offsets, (3..=400).collect::<Vec<u64>>());
}
