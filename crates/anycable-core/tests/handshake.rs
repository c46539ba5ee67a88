//! Connecting: token transports, sub-protocol selection, welcome, pings, auth refusals.

mod support;

use std::time::Duration;

use anycable_core::Config;
use serde_json::json;
use support::raw::{request_head, upgrade_head, KEY};
use support::*;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

#[tokio::test]
async fn token_by_sub_protocol_selects_the_real_protocol_never_the_token() {
    let server = start(config()).await;
    let mut client = connect(&server, &token(r#"{"user_id":1}"#)).await;
    assert_eq!(client.protocol.as_deref(), Some("actioncable-v1-json"));
    let welcome = client.next_json().await;
    assert_eq!(welcome["type"], "welcome");
    assert!(
        welcome["sid"].as_str().is_some_and(|sid| sid.len() >= 16),
        "{welcome}"
    );
}

#[tokio::test]
async fn a_client_offering_the_extended_protocol_gets_it() {
    let server = start(config()).await;
    let good = token(r#"{"user_id":3}"#);
    let ext_only = format!("actioncable-v1-ext-json, anycable-token.{good}");
    let mut client =
        connect_with(&server, "/cable", &[("sec-websocket-protocol", &ext_only)]).await;
    assert_eq!(client.protocol.as_deref(), Some("actioncable-v1-ext-json"));
    let welcome = client.next_json().await;
    assert_eq!(welcome["type"], "welcome");
    assert_eq!(welcome.get("restored"), None, "{welcome}");
    let both = format!("actioncable-v1-json, actioncable-v1-ext-json, anycable-token.{good}");
    let client = connect_with(&server, "/cable", &[("sec-websocket-protocol", &both)]).await;
    assert_eq!(client.protocol.as_deref(), Some("actioncable-v1-ext-json"));
}

#[tokio::test]
async fn token_by_header_and_by_query() {
    let server = start(config()).await;
    let good = token(r#"{"user_id":2}"#);
    let mut by_header = connect_with(
        &server,
        "/cable",
        &[
            ("x-jid", &good),
            ("sec-websocket-protocol", "actioncable-v1-json"),
        ],
    )
    .await;
    assert_eq!(by_header.next_json().await["type"], "welcome");
    let mut by_query = connect_with(&server, &format!("/cable?sid=x&jid={good}&pi=1"), &[]).await;
    assert_eq!(
        by_query.protocol, None,
        "no protocol offered, none selected"
    );
    assert_eq!(by_query.next_json().await["type"], "welcome");
}

#[tokio::test]
async fn the_header_wins_over_the_query() {
    let server = start(config()).await;
    let good = token("{}");
    let mut client = connect_with(&server, "/cable?jid=garbage", &[("x-jid", &good)]).await;
    assert_eq!(client.next_json().await["type"], "welcome");
}

#[tokio::test]
async fn the_sid_is_random_never_the_clients_x_request_id() {
    let server = start(config()).await;
    let good = token("{}");
    let mut sids = Vec::new();
    for _ in 0..2 {
        let mut client = connect_with(
            &server,
            "/cable",
            &[("x-jid", &good), ("x-request-id", "chosen")],
        )
        .await;
        let welcome = client.next_json().await;
        let sid = welcome["sid"].as_str().expect("sid").to_owned();
        assert_ne!(sid, "chosen");
        assert!(
            sid.len() == 21 && sid.chars().all(|c| c.is_ascii_alphanumeric()),
            "{sid}"
        );
        sids.push(sid);
    }
    assert_ne!(sids[0], sids[1]);
}

#[tokio::test]
async fn refusals_are_a_disconnect_frame_then_close_1000() {
    let server = start(config()).await;
    for (bad, reason) in [
        (expired_token(), "token_expired"),
        ("not-a-token".to_string(), "unauthorized"),
    ] {
        let mut client = connect(&server, &bad).await;
        assert_eq!(
            client.next_json().await,
            json!({"type": "disconnect", "reason": reason, "reconnect": false})
        );
        assert_eq!(
            client.expect_close().await,
            (CloseCode::Normal, "Auth Failed".to_string())
        );
    }
}

#[tokio::test]
async fn tokenless_clients_are_unauthorized_unless_noauth() {
    let server = start(config()).await;
    let mut client = connect_with(&server, "/cable", &[]).await;
    assert_eq!(client.next_json().await["reason"], "unauthorized");

    let open = start(Config {
        noauth: true,
        ..config()
    })
    .await;
    let mut anonymous = connect_with(&open, "/cable", &[]).await;
    assert_eq!(anonymous.next_json().await["type"], "welcome");

    let enforced = start(Config {
        noauth: true,
        enforce_jwt: true,
        ..config()
    })
    .await;
    let mut refused = connect_with(&enforced, "/cable", &[]).await;
    assert_eq!(refused.next_json().await["reason"], "unauthorized");
}

#[tokio::test]
async fn pings_arrive_every_interval() {
    let server = start(Config {
        ping_interval: Duration::from_millis(200),
        ..config()
    })
    .await;
    let mut client = welcomed(&server).await;
    let mut pings = Vec::new();
    while pings.len() < 3 {
        if let Some(tokio_tungstenite::tungstenite::Message::Text(text)) =
            client.next_message().await
        {
            let frame: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(frame["type"], "ping");
            assert!(frame["message"].as_u64().unwrap() > 1_700_000_000);
            pings.push(tokio::time::Instant::now());
        }
    }
    let gap = pings[2] - pings[1];
    assert!(
        gap >= Duration::from_millis(150) && gap <= Duration::from_millis(1000),
        "{gap:?}"
    );
}

#[tokio::test]
async fn disallowed_origins_get_403_and_allowed_ones_connect() {
    let server = start(Config {
        allowed_origins: vec!["*.example.com".into()],
        ..config()
    })
    .await;
    let upgrade = [
        ("Connection", "Upgrade"),
        ("Upgrade", "websocket"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Origin", "https://evil.test"),
    ];
    assert_eq!(http(&server, "GET", "/cable", &upgrade, "").await.0, 403);
    let mut client = connect_with(
        &server,
        "/cable",
        &[
            ("origin", "https://app.example.com"),
            ("x-jid", &token("{}")),
        ],
    )
    .await;
    assert_eq!(client.next_json().await["type"], "welcome");
}

#[tokio::test]
async fn health_and_unknown_paths() {
    let server = start(config()).await;
    assert_eq!(
        http(&server, "GET", "/health", &[], "").await,
        (200, "OK".into())
    );
    assert_eq!(http(&server, "GET", "/nope", &[], "").await.0, 404);
    assert_eq!(
        http(&server, "GET", "/cable", &[], "").await.0,
        426,
        "plain GET on the cable path"
    );
}

#[tokio::test]
async fn a_port_in_use_is_a_clear_error() {
    let server = start(config()).await;
    let taken = Config {
        port: server.local_addr().port(),
        ..config()
    };
    let error = anycable_core::CableServer::start(taken)
        .await
        .err()
        .expect("bind fails")
        .to_string();
    assert!(error.contains("already in use"), "{error}");
}

#[tokio::test]
async fn upgrades_need_a_16_byte_base64_key_and_http_1_1() {
    let server = start(config()).await;
    for (key, status) in [
        (KEY, 101),
        ("", 400),
        ("not base64!", 400),
        ("c2hvcnQ=", 400),                         // 5 bytes
        ("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 400), // 24 bytes
    ] {
        let (_, got) = request_head(&server, &upgrade_head("HTTP/1.1", key, "")).await;
        assert_eq!(got, status, "key {key:?}");
    }
    let (_, got) = request_head(&server, &upgrade_head("HTTP/1.0", KEY, "")).await;
    assert_eq!(got, 400, "HTTP/1.0");
    let other_version = upgrade_head("HTTP/1.1", KEY, "").replace("Version: 13", "Version: 8");
    assert_eq!(request_head(&server, &other_version).await.1, 426);
}

#[tokio::test]
async fn origins_are_matched_as_urls() {
    let server = start(Config {
        allowed_origins: vec!["https://*.anycable.io".into()],
        ..config()
    })
    .await;
    for (origin, status) in [
        ("https://demo.anycable.io", 101),
        ("https://evil.com/.anycable.io", 403),
        ("http://demo.anycable.io", 403),
        ("null", 403),
        ("https://démo.anycable.io", 403),
    ] {
        let head = upgrade_head("HTTP/1.1", KEY, &format!("\r\nOrigin: {origin}"));
        assert_eq!(request_head(&server, &head).await.1, status, "{origin}");
    }
}
