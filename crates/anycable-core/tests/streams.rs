//! Subscriptions to signed and public streams, broadcasts from the server API and over HTTP, whispers.

mod support;

use std::time::Duration;

use anycable_core::{broadcast_key, Config, Publication};
use serde_json::json;
use support::*;

const QUIET: Duration = Duration::from_millis(200);

#[tokio::test]
async fn signed_subscriptions_confirm_and_receive_broadcasts_for_their_stream_only() {
    let server = start(config()).await;
    let mut chat = welcomed(&server).await;
    let mut other = welcomed(&server).await;
    let chat_id = signed_identifier("chat/1");
    let other_id = signed_identifier("chat/2");
    assert_eq!(
        chat.subscribe(&chat_id).await,
        json!({"type": "confirm_subscription", "identifier": chat_id})
    );
    assert_eq!(
        other.subscribe(&other_id).await["type"],
        "confirm_subscription"
    );

    server.publish(Publication::new("chat/1", r#"{"text":"hi"}"#.into()).unwrap());
    assert_eq!(
        without_position(chat.next_json().await),
        json!({"identifier": chat_id, "message": {"text": "hi"}})
    );
    other.expect_silence(QUIET).await;
}

#[tokio::test]
async fn forged_unsigned_or_public_names_are_rejected_by_default() {
    let server = start(config()).await;
    let mut client = welcomed(&server).await;
    let forged =
        json!({"channel": "$pubsub", "signed_stream_name": "ImNoYXQvMSI=--0000"}).to_string();
    let public = public_identifier("lobby");
    let turbo =
        json!({"channel": "Turbo::StreamsChannel", "signed_stream_name": signed("x")}).to_string();
    let app_channel = json!({"channel": "ChatChannel", "room": "1"}).to_string();
    for identifier in [forged, public, turbo, app_channel, "not json".to_string()] {
        assert_eq!(
            client.subscribe(&identifier).await,
            json!({"type": "reject_subscription", "identifier": identifier})
        );
    }
    assert_eq!(server.stats().subscriptions, 0);
}

#[tokio::test]
async fn public_and_turbo_streams_when_enabled() {
    let server = start(Config {
        public_streams: true,
        turbo_streams: true,
        ..config()
    })
    .await;
    let mut client = welcomed(&server).await;
    let public = public_identifier("lobby");
    let turbo = json!({"channel": "Turbo::StreamsChannel", "signed_stream_name": signed("gid://app/Room/1")}).to_string();
    assert_eq!(
        client.subscribe(&public).await["type"],
        "confirm_subscription"
    );
    assert_eq!(
        client.subscribe(&turbo).await["type"],
        "confirm_subscription"
    );
    server.publish(Publication::new("gid://app/Room/1", r#""<turbo-stream/>""#.into()).unwrap());
    assert_eq!(
        without_position(client.next_json().await),
        json!({"identifier": turbo, "message": "<turbo-stream/>"})
    );
}

#[tokio::test]
async fn without_a_streams_secret_signed_subscriptions_are_rejected() {
    let server = start(Config {
        secret: None,
        noauth: true,
        ..config()
    })
    .await;
    let mut client = connect_with(&server, "/cable", &[]).await;
    assert_eq!(client.next_json().await["type"], "welcome");
    assert_eq!(
        client.subscribe(&signed_identifier("s")).await["type"],
        "reject_subscription"
    );
}

#[tokio::test]
async fn duplicate_subscribe_unknown_identifiers_and_unsubscribe() {
    let server = start(config()).await;
    let mut client = welcomed(&server).await;
    let id = signed_identifier("s");
    assert_eq!(client.subscribe(&id).await["type"], "confirm_subscription");
    client
        .send_json(json!({"command": "subscribe", "identifier": id}))
        .await;
    client
        .send_json(json!({"command": "message", "identifier": "unknown", "data": "{}"}))
        .await;
    client
        .send_json(json!({"command": "whisper", "identifier": "unknown", "data": {}}))
        .await;
    client
        .send_json(json!({"command": "dance", "identifier": id}))
        .await;
    client.expect_silence(QUIET).await;
    assert_eq!(server.stats().subscriptions, 1);
    client
        .send_json(json!({"command": "unsubscribe", "identifier": id}))
        .await;
    until_subscriptions(&server, 0).await;
    server.publish(Publication::new("s", "1".into()).unwrap());
    client.expect_silence(QUIET).await;
}

#[tokio::test]
async fn http_broadcasts_with_the_derived_key_batches_and_exclude_socket() {
    let server = start(config()).await;
    let mut a = connect(&server, &token("{}")).await;
    let a_sid = a.next_json().await["sid"].as_str().unwrap().to_owned();
    let mut b = welcomed(&server).await;
    let id = signed_identifier("news");
    a.subscribe(&id).await;
    b.subscribe(&id).await;
    let key = broadcast_key(SECRET.as_bytes());
    let auth = format!("Bearer {key}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];

    let one = json!({"stream": "news", "data": "{\"n\":1}"}).to_string();
    assert_eq!(
        http(&server, "POST", "/_broadcast", &headers, &one).await.0,
        201
    );
    assert_eq!(a.next_json().await["message"], json!({"n": 1}));
    assert_eq!(b.next_json().await["message"], json!({"n": 1}));

    let batch = json!([
        {"stream": "news", "data": "{\"n\":2}"},
        {"stream": "news", "data": "{\"n\":3}", "meta": {"exclude_socket": a_sid}},
    ])
    .to_string();
    assert_eq!(
        http(&server, "POST", "/_broadcast", &headers, &batch)
            .await
            .0,
        201
    );
    assert_eq!(a.next_json().await["message"], json!({"n": 2}));
    assert_eq!(b.next_json().await["message"], json!({"n": 2}));
    assert_eq!(b.next_json().await["message"], json!({"n": 3}));
    a.expect_silence(QUIET).await;
}

#[tokio::test]
async fn http_broadcast_refusals() {
    let server = start(config()).await;
    let auth = format!("Bearer {}", broadcast_key(SECRET.as_bytes()));
    let good = json!({"stream": "s", "data": "1"}).to_string();
    assert_eq!(
        post_broadcast(&server, Some("Bearer wrong"), &good).await,
        401
    );
    assert_eq!(post_broadcast(&server, None, &good).await, 401);
    let get = http(
        &server,
        "GET",
        "/_broadcast",
        &[("Authorization", &auth)],
        "",
    )
    .await;
    assert_eq!(get.0, 422);
    let non_string = json!({"stream": "s", "data": {"n": 1}}).to_string();
    assert_eq!(post_broadcast(&server, Some(&auth), &non_string).await, 422);
    assert_eq!(post_broadcast(&server, Some(&auth), "junk").await, 422);
}

/// The status of `POST /_broadcast` with `authorization` (if any) and `body`.
async fn post_broadcast(
    server: &anycable_core::CableServer,
    authorization: Option<&str>,
    body: &str,
) -> u16 {
    let headers: Vec<(&str, &str)> = authorization
        .map(|value| ("Authorization", value))
        .into_iter()
        .collect();
    http(server, "POST", "/_broadcast", &headers, body).await.0
}

#[tokio::test]
async fn the_broadcast_key_option_wins_and_no_key_means_no_unauthenticated_endpoint() {
    let keyed = start(Config {
        broadcast_key: Some("custom".into()),
        ..config()
    })
    .await;
    let body = json!({"stream": "s", "data": "1"}).to_string();
    assert_eq!(
        post_broadcast(&keyed, Some("Bearer custom"), &body).await,
        201
    );

    let keyless = start(Config {
        secret: None,
        noauth: true,
        ..config()
    })
    .await;
    assert_eq!(post_broadcast(&keyless, None, &body).await, 401);

    let public = start(Config {
        secret: None,
        public: true,
        ..config()
    })
    .await;
    assert_eq!(post_broadcast(&public, None, &body).await, 201);
}

#[tokio::test]
async fn whispers_reach_the_others_not_the_sender_and_only_where_allowed() {
    let server = start(Config {
        public_streams: true,
        ..config()
    })
    .await;
    let mut a = welcomed(&server).await;
    let mut b = welcomed(&server).await;
    let public = public_identifier("room");
    a.subscribe(&public).await;
    b.subscribe(&public).await;
    a.send_json(json!({"command": "whisper", "identifier": public, "data": {"typing": true}}))
        .await;
    assert_eq!(
        b.next_json().await,
        json!({"identifier": public, "message": {"typing": true}})
    );
    a.expect_silence(QUIET).await;

    let signed_id = signed_identifier("private");
    a.subscribe(&signed_id).await;
    b.subscribe(&signed_id).await;
    a.send_json(json!({"command": "whisper", "identifier": signed_id, "data": {"typing": true}}))
        .await;
    b.expect_silence(QUIET).await;

    let whispering = start(Config {
        streams_whisper: true,
        ..config()
    })
    .await;
    let mut c = welcomed(&whispering).await;
    let mut d = welcomed(&whispering).await;
    c.subscribe(&signed_id).await;
    d.subscribe(&signed_id).await;
    c.send_json(json!({"command": "whisper", "identifier": signed_id, "data": {"typing": 1}}))
        .await;
    assert_eq!(d.next_json().await["message"], json!({"typing": 1}));
}
