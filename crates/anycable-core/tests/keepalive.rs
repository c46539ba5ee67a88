//! Keepalive in the extended protocol (scenarios 1 and 3–7 of §7.2 in the spec): negotiation,
//! `?pi=` / `?ptp=`, pongs, `pongTimeout`, client pings; and live token expiry
//! (`disconnectOnTokenExpiry`, scenario 56 without it).

mod support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anycable_core::{Algorithm, CableServer, Config, Identificator, Publication, Ttl};
use serde_json::{json, Value};
use support::*;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

const EXT: &str = "actioncable-v1-ext-json";
const PLAIN: &str = "actioncable-v1-json";

/// Slack for timings on a busy machine.
const SLACK: Duration = Duration::from_millis(500);

/// Connects offering `protocol` (and a token), with `query` after `/cable`.
async fn connect_speaking(server: &CableServer, protocol: &str, query: &str) -> Client {
    let protocols = format!("{protocol}, anycable-token.{}", token(r#"{"user_id":1}"#));
    connect_with(
        server,
        &format!("/cable{query}"),
        &[("sec-websocket-protocol", &protocols)],
    )
    .await
}

/// Connects as `connect_speaking` and consumes the welcome.
async fn welcomed_speaking(server: &CableServer, protocol: &str, query: &str) -> Client {
    let mut client = connect_speaking(server, protocol, query).await;
    assert_eq!(client.protocol.as_deref(), Some(protocol));
    assert_eq!(next_frame(&mut client).await["type"], "welcome");
    client
}

/// The next text frame, pings included, as JSON (WebSocket pings and pongs are skipped).
async fn next_frame(client: &mut Client) -> Value {
    loop {
        match client.next_message().await {
            Some(Message::Text(text)) => return serde_json::from_str(&text).unwrap(),
            Some(Message::Ping(_)) | Some(Message::Pong(_)) => {}
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// The next frame, which must be a ping; returns its timestamp.
async fn next_ping(client: &mut Client) -> u64 {
    let frame = next_frame(client).await;
    assert_eq!(frame["type"], "ping", "{frame}");
    frame["message"].as_u64().expect("an integer timestamp")
}

/// `future`'s output, which must come within `WAIT` (reading loops skip pings, which never stop).
async fn in_time<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, future).await.expect("in time")
}

fn unix_now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap()
}

#[tokio::test]
async fn an_extended_client_is_welcomed_with_a_sid_and_nothing_about_restoring() {
    let server = start(config()).await;
    let mut client = connect_speaking(&server, EXT, "").await;
    assert_eq!(client.protocol.as_deref(), Some(EXT));
    let welcome = next_frame(&mut client).await;
    assert_eq!(welcome["type"], "welcome");
    assert!(
        welcome["sid"].as_str().is_some_and(|sid| !sid.is_empty()),
        "{welcome}"
    );
    assert_eq!(welcome.get("restored"), None, "{welcome}");
    assert_eq!(welcome.get("restored_ids"), None, "{welcome}");
}

/// Pings every `?pi=1` second in the `?ptp=` unit: `digits` long, and about now.
async fn pings_in(server: &CableServer, protocol: &str, ptp: &str, digits: usize, per_second: f64) {
    let connected = Instant::now();
    let mut client = welcomed_speaking(server, protocol, &format!("?pi=1&ptp={ptp}")).await;
    let first = next_ping(&mut client).await;
    let until_first = connected.elapsed();
    assert!(
        until_first >= Duration::from_millis(500)
            && until_first < Duration::from_millis(1500) + SLACK,
        "first ping after {until_first:?}"
    );
    let second = next_ping(&mut client).await;
    let gap = connected.elapsed() - until_first;
    assert!(
        gap > Duration::from_millis(900) && gap < Duration::from_secs(1) + SLACK,
        "pings {gap:?} apart"
    );
    for timestamp in [first, second] {
        assert_eq!(timestamp.to_string().len(), digits, "{timestamp}");
        let seconds = timestamp as f64 / per_second;
        assert!(
            (seconds - unix_now().as_secs_f64()).abs() < 3.0,
            "{timestamp} is not about now"
        );
    }
}

#[tokio::test]
async fn pi_and_ptp_set_the_interval_and_unit_of_pings_in_both_protocols() {
    let server = start(config()).await;
    tokio::join!(
        pings_in(&server, EXT, "ms", 13, 1e3),
        pings_in(&server, EXT, "ns", 19, 1e9),
        pings_in(&server, PLAIN, "ms", 13, 1e3),
        pings_in(&server, PLAIN, "s", 10, 1.0),
    );
}

#[tokio::test]
async fn a_pong_gets_no_reply_and_pings_go_on() {
    let server = start(config()).await;
    let mut client = welcomed_speaking(&server, EXT, "?pi=1").await;
    for _ in 0..3 {
        next_ping(&mut client).await;
        client.send_json(json!({"command": "pong"})).await;
    }
    // Anything sent in reply to the last pong would come before the next ping.
    next_ping(&mut client).await;
}

#[tokio::test]
async fn a_silent_extended_client_is_disconnected_with_no_pong() {
    let server = start(Config {
        pong_timeout: Duration::from_secs(1),
        ..config()
    })
    .await;
    let mut client = welcomed_speaking(&server, EXT, "?pi=1").await;
    next_ping(&mut client).await;
    let pinged = Instant::now();
    // Later pings may come first; the disconnect follows the first one by the timeout.
    let disconnect = in_time(async {
        loop {
            let frame = next_frame(&mut client).await;
            if frame["type"] != "ping" {
                break frame;
            }
        }
    })
    .await;
    let silence = pinged.elapsed();
    assert_eq!(
        disconnect,
        json!({"type": "disconnect", "reason": "no_pong", "reconnect": true})
    );
    assert!(
        silence >= Duration::from_millis(900) && silence < Duration::from_secs(1) + SLACK,
        "disconnected {silence:?} after the ping"
    );
    assert_eq!(
        client.expect_close().await,
        (CloseCode::Normal, "No pong".to_string())
    );
}

#[tokio::test]
async fn an_extended_client_answering_every_ping_stays() {
    let server = start(Config {
        pong_timeout: Duration::from_secs(1),
        ..config()
    })
    .await;
    let mut client = welcomed_speaking(&server, EXT, "?pi=1").await;
    // Any frame shows the client is alive: a pong, another command, a WebSocket ping.
    let answers = [
        Message::text(r#"{"command":"pong"}"#),
        Message::text(r#"{"command":"unknown"}"#),
        Message::Ping(Vec::new().into()),
    ];
    for answer in answers.iter().cycle().take(6) {
        next_ping(&mut client).await;
        client.send_raw(answer.clone()).await;
    }
    next_ping(&mut client).await;
}

#[tokio::test]
async fn the_pong_timeout_applies_only_to_the_extended_protocol() {
    let server = start(Config {
        pong_timeout: Duration::from_secs(1),
        ..config()
    })
    .await;
    let mut plain = welcomed_speaking(&server, PLAIN, "?pi=1").await;
    // Silent well past the first ping plus the timeout, when an extended client is gone.
    plain.expect_silence(Duration::from_secs(3)).await;
    plain.send_json(json!({"command": "ping"})).await;
    assert_eq!(plain.next_json().await, json!({"type": "pong"}));
}

#[tokio::test]
async fn a_client_ping_is_answered_with_a_pong_in_both_protocols() {
    let server = start(config()).await;
    for protocol in [EXT, PLAIN] {
        let mut client = welcomed_speaking(&server, protocol, "").await;
        client.send_json(json!({"command": "ping"})).await;
        assert_eq!(
            client.next_json().await,
            json!({"type": "pong"}),
            "{protocol}"
        );
    }
}

/// A token whose `exp` is `seconds` whole seconds after the current second; and that `exp`.
fn token_expiring_in(seconds: u64) -> (String, Duration) {
    let now = unix_now().as_secs();
    let exp = now + seconds;
    let token = Identificator::new(
        SECRET.as_bytes(),
        Ttl::from_seconds(300.0).unwrap(),
        Algorithm::HS256,
    )
    .unwrap()
    .generate_with(r#"{"user_id":7}"#, now, exp);
    (token, Duration::from_secs(exp))
}

async fn subscribed_with(server: &CableServer, token: &str, protocol: &str) -> Client {
    let protocols = format!("{protocol}, anycable-token.{token}");
    let mut client =
        connect_with(server, "/cable", &[("sec-websocket-protocol", &protocols)]).await;
    assert_eq!(client.next_json().await["type"], "welcome");
    assert_eq!(
        client.subscribe(&signed_identifier("news")).await["type"],
        "confirm_subscription"
    );
    client
}

#[tokio::test]
async fn with_disconnect_on_token_expiry_a_session_ends_when_its_token_expires() {
    let server = start(Config {
        disconnect_on_token_expiry: true,
        ..config()
    })
    .await;
    let (token, exp) = token_expiring_in(2);
    let mut ext = subscribed_with(&server, &token, EXT).await;
    let mut plain = subscribed_with(&server, &token, PLAIN).await;
    for client in [&mut ext, &mut plain] {
        assert_eq!(
            in_time(client.next_json()).await,
            json!({"type": "disconnect", "reason": "token_expired", "reconnect": false})
        );
        let at = unix_now();
        assert!(
            at + Duration::from_millis(50) >= exp && at < exp + SLACK,
            "disconnected at {at:?}, the token expired at {exp:?}"
        );
        assert_eq!(
            client.expect_close().await,
            (CloseCode::Normal, "Auth Failed".to_string())
        );
    }
    until_subscriptions(&server, 0).await;
}

#[tokio::test]
async fn without_it_a_session_outlives_its_token_as_in_anycable() {
    let server = start(config()).await;
    let (token, exp) = token_expiring_in(1);
    let mut client = subscribed_with(&server, &token, EXT).await;
    let left = exp.saturating_sub(unix_now());
    client.expect_silence(left + SLACK).await;
    server.publish(Publication::new("news", r#""still here""#.into()).unwrap());
    assert_eq!(client.next_json().await["message"], "still here");
}

#[tokio::test]
async fn sessions_without_an_exp_never_expire() {
    let server = start(Config {
        disconnect_on_token_expiry: true,
        noauth: true,
        ..config()
    })
    .await;
    let no_exp = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"ext": r#"{"user_id":8}"#}),
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    let mut unexpiring = subscribed_with(&server, &no_exp, EXT).await;
    let mut anonymous = connect_with(&server, "/cable", &[("sec-websocket-protocol", EXT)]).await;
    assert_eq!(anonymous.next_json().await["type"], "welcome");
    anonymous.subscribe(&signed_identifier("news")).await;
    for client in [&mut unexpiring, &mut anonymous] {
        client.expect_silence(Duration::from_secs(1)).await;
    }
    server.publish(Publication::new("news", r#""still here""#.into()).unwrap());
    for client in [&mut unexpiring, &mut anonymous] {
        assert_eq!(client.next_json().await["message"], "still here");
    }
}
