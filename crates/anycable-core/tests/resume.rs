//! Session resumption (ext-protocol §7.4, scenarios 28–35 and 40) with this project's decided
//! answers: a restore authenticates like a fresh connect and needs the same identifiers, a sid is
//! restored at most once, and only extended-protocol sessions are kept.

mod support;

use std::sync::Arc;
use std::time::Duration;

use anycable_core::{CableServer, Config, Publication};
use serde_json::{json, Value};
use support::*;

const EXT: &str = "actioncable-v1-ext-json";

fn resumable_config() -> Config {
    Config {
        public_streams: true,
        ..config()
    }
}

fn user(id: u32) -> String {
    token(&json!({ "user_id": id }).to_string())
}

/// Connects speaking `protocol` with `token` (if any) in the sub-protocol, `query` after `/cable`
/// and `headers` added; returns the client and its first frame.
async fn connect_as(
    server: &CableServer,
    protocol: &str,
    token: Option<&str>,
    query: &str,
    headers: &[(&'static str, &str)],
) -> (Client, Value) {
    let protocols = match token {
        Some(token) => format!("{protocol}, anycable-token.{token}"),
        None => protocol.to_owned(),
    };
    let mut all = vec![("sec-websocket-protocol", protocols.as_str())];
    all.extend_from_slice(headers);
    let mut client = connect_with(server, &format!("/cable{query}"), &all).await;
    let first = client.next_json().await;
    (client, first)
}

/// Reconnects as user `token` on the extended protocol asking to restore `old` (plus `extra`
/// query parameters); returns the client and its first frame.
async fn restoring(server: &CableServer, token: &str, old: &str, extra: &str) -> (Client, Value) {
    connect_as(server, EXT, Some(token), &format!("?sid={old}{extra}"), &[]).await
}

/// An extended-protocol session of `token` subscribed to `streams`, closed by the client once the
/// server has kept it; returns its sid.
async fn kept_session(server: &CableServer, token: &str, streams: &[&str]) -> String {
    let (mut client, welcome) = connect_as(server, EXT, Some(token), "", &[]).await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    let before = server.stats().subscriptions;
    for stream in streams {
        let confirm = client.subscribe(&public_identifier(stream)).await;
        assert_eq!(confirm["type"], "confirm_subscription", "{confirm}");
    }
    client.ws.close(None).await.unwrap();
    // The session has left its streams once it ended (and it is kept just before).
    until_subscriptions(server, before).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    welcome["sid"].as_str().unwrap().to_owned()
}

fn ids(welcome: &Value) -> Vec<String> {
    let mut ids: Vec<String> = welcome["restored_ids"]
        .as_array()
        .expect("restored_ids is always a list")
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn assert_fresh(welcome: &Value) {
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    assert!(welcome.get("restored").is_none(), "{welcome}");
    assert!(welcome.get("restored_ids").is_none(), "{welcome}");
}

fn publish(server: &CableServer, stream: &str, n: u32) {
    server.publish(Publication::new(stream, json!({ "n": n }).to_string()).unwrap());
}

#[tokio::test]
async fn a_session_is_restored_by_its_sid_without_subscribing_again() {
    let server = start(resumable_config()).await;
    let old = kept_session(&server, &user(1), &["chat_42", "chat_43"]).await;
    // `pi=1`: a restored subscription's live frames wait for its history request (see below), or
    // the first ping for a client that sends none, like this one.
    let (mut client, welcome) = restoring(&server, &user(1), &old, "&pi=1").await;
    assert_eq!(welcome["type"], "welcome");
    assert_eq!(welcome["restored"], true, "{welcome}");
    let sid = welcome["sid"].as_str().unwrap();
    assert!(!sid.is_empty() && sid != old, "a new sid");
    let mut expected = vec![public_identifier("chat_42"), public_identifier("chat_43")];
    expected.sort();
    assert_eq!(ids(&welcome), expected);
    // No confirmations; the hub streams to the restored subscriptions at once.
    client.expect_silence(Duration::from_millis(200)).await;
    publish(&server, "chat_42", 7);
    let frame = client.next_json().await;
    assert_eq!(frame["identifier"], public_identifier("chat_42"));
    assert_eq!(frame["message"], json!({"n": 7}));
    assert_eq!(frame["offset"], 1);
}

#[tokio::test]
async fn the_restore_header_wins_over_the_query() {
    let server = start(resumable_config()).await;
    let old = kept_session(&server, &user(1), &["chat_42"]).await;
    let (_client, welcome) = connect_as(
        &server,
        EXT,
        Some(&user(1)),
        "?sid=bogus",
        &[("x-anycable-restore-sid", &old)],
    )
    .await;
    assert_eq!(welcome["restored"], true, "{welcome}");
    assert_eq!(ids(&welcome), [public_identifier("chat_42")]);
}

#[tokio::test]
async fn whisper_rights_survive_a_restore() {
    let server = start(resumable_config()).await;
    let old = kept_session(&server, &user(1), &["chat_42"]).await;
    let mut listener = welcomed(&server).await;
    listener.subscribe(&public_identifier("chat_42")).await;
    let (mut restored, welcome) = restoring(&server, &user(1), &old, "").await;
    assert_eq!(welcome["restored"], true, "{welcome}");
    restored
        .send_json(json!({
            "command": "whisper",
            "identifier": public_identifier("chat_42"),
            "data": {"typing": true},
        }))
        .await;
    let whisper = listener.next_json().await;
    assert_eq!(whisper["message"], json!({"typing": true}), "{whisper}");
}

#[tokio::test]
async fn an_unknown_or_empty_sid_gets_a_fresh_welcome_and_no_token_is_still_refused() {
    let server = start(resumable_config()).await;
    for query in ["?sid=nope", "?sid="] {
        let (_client, welcome) = connect_as(&server, EXT, Some(&user(1)), query, &[]).await;
        assert_fresh(&welcome);
    }
    let old = kept_session(&server, &user(1), &["chat_42"]).await;
    let (mut client, refusal) = connect_as(&server, EXT, None, &format!("?sid={old}"), &[]).await;
    assert_eq!(
        refusal,
        json!({"type": "disconnect", "reason": "unauthorized", "reconnect": false})
    );
    client.expect_close().await;
}

#[tokio::test]
async fn a_session_is_not_restored_after_sessions_ttl() {
    let server = start(Config {
        sessions_ttl: Duration::from_secs(1),
        ..resumable_config()
    })
    .await;
    let old = kept_session(&server, &user(1), &["chat_42"]).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (_client, welcome) = restoring(&server, &user(1), &old, "").await;
    assert_fresh(&welcome);
}

#[tokio::test]
async fn sessions_ttl_zero_never_restores() {
    let server = start(Config {
        sessions_ttl: Duration::ZERO,
        ..resumable_config()
    })
    .await;
    let old = kept_session(&server, &user(1), &["chat_42"]).await;
    let (_client, welcome) = restoring(&server, &user(1), &old, "").await;
    assert_fresh(&welcome);
}

#[tokio::test]
async fn a_session_without_subscriptions_is_restored_with_an_empty_list() {
    let server = start(resumable_config()).await;
    let old = kept_session(&server, &user(1), &[]).await;
    let (_client, welcome) = restoring(&server, &user(1), &old, "").await;
    assert_eq!(welcome["restored"], true, "{welcome}");
    assert_eq!(welcome["restored_ids"], json!([]));
}

/// Scenario 35: as in the reference, subscribing again to a restored identifier changes nothing
/// and sends nothing (the JS client never does it: restored channels are already connected).
#[tokio::test]
async fn subscribing_again_to_a_restored_identifier_is_ignored() {
    let server = start(resumable_config()).await;
    let old = kept_session(&server, &user(1), &["chat_42"]).await;
    let (mut client, _) = restoring(&server, &user(1), &old, "&pi=1").await;
    client
        .send_json(json!({"command": "subscribe", "identifier": public_identifier("chat_42")}))
        .await;
    client.expect_silence(Duration::from_millis(300)).await;
    publish(&server, "chat_42", 1);
    assert_eq!(client.next_json().await["message"], json!({"n": 1}));
    client.expect_silence(Duration::from_millis(200)).await;
}

/// Scenario 40 with the decided answers: an expired token is refused whatever sid it carries, and
/// a sid is restored at most once.
#[tokio::test]
async fn an_expired_token_is_refused_and_a_sid_restores_once() {
    let server = start(resumable_config()).await;
    let old = kept_session(&server, &user(1), &["chat_42"]).await;
    let (_client, refusal) = connect_as(
        &server,
        EXT,
        Some(&expired_token()),
        &format!("?sid={old}"),
        &[],
    )
    .await;
    assert_eq!(
        refusal,
        json!({"type": "disconnect", "reason": "token_expired", "reconnect": false})
    );
    let (first, welcome) = restoring(&server, &user(1), &old, "").await;
    assert_eq!(welcome["restored"], true, "the refusal left it restorable");
    let (_second, again) = restoring(&server, &user(1), &old, "").await;
    assert_fresh(&again);
    drop(first);
}

#[tokio::test]
async fn another_users_sid_is_not_restored_and_stays_its_owners() {
    let server = start(resumable_config()).await;
    let old = kept_session(&server, &user(1), &["chat_42"]).await;
    let (_thief, welcome) = restoring(&server, &user(2), &old, "").await;
    assert_fresh(&welcome);
    let (_owner, welcome) = restoring(&server, &user(1), &old, "").await;
    assert_eq!(welcome["restored"], true, "{welcome}");
}

#[tokio::test]
async fn plain_protocol_sessions_are_never_kept_or_restored() {
    let server = start(resumable_config()).await;
    let (mut plain, welcome) =
        connect_as(&server, "actioncable-v1-json", Some(&user(1)), "", &[]).await;
    plain.subscribe(&public_identifier("chat_42")).await;
    plain.ws.close(None).await.unwrap();
    until_subscriptions(&server, 0).await;
    let old = welcome["sid"].as_str().unwrap();
    for protocol in [EXT, "actioncable-v1-json"] {
        let (_client, welcome) = connect_as(
            &server,
            protocol,
            Some(&user(1)),
            &format!("?sid={old}"),
            &[],
        )
        .await;
        assert_fresh(&welcome);
    }
    let old = kept_session(&server, &user(1), &["chat_42"]).await;
    let (_client, welcome) = connect_as(
        &server,
        "actioncable-v1-json",
        Some(&user(1)),
        &format!("?sid={old}"),
        &[],
    )
    .await;
    assert_fresh(&welcome);
}

/// What the JS client does after a restored welcome: it asks each restored subscription for what
/// it missed. Live broadcasts that race the request are held back, so everything comes once and
/// in order.
#[tokio::test]
async fn after_a_restore_the_history_request_replays_the_gap_before_live_frames() {
    let server = start(resumable_config()).await;
    let (mut client, welcome) = connect_as(&server, EXT, Some(&user(1)), "", &[]).await;
    let old = welcome["sid"].as_str().unwrap().to_owned();
    client.subscribe(&public_identifier("chat_42")).await;
    publish(&server, "chat_42", 1);
    let seen = client.next_json().await;
    let epoch = seen["epoch"].as_str().unwrap().to_owned();
    client.ws.close(None).await.unwrap();
    until_subscriptions(&server, 0).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    publish(&server, "chat_42", 2);
    let (mut client, welcome) = restoring(&server, &user(1), &old, "").await;
    assert_eq!(welcome["restored"], true, "{welcome}");
    publish(&server, "chat_42", 3);
    // Long enough for it to reach the restored session (publications are registered
    // asynchronously) before the history request.
    tokio::time::sleep(Duration::from_millis(100)).await;
    client
        .send_json(json!({
            "command": "history",
            "identifier": public_identifier("chat_42"),
            "history": {"since": 0, "streams": {"chat_42": {"epoch": epoch, "offset": 1}}},
        }))
        .await;
    let mut got = Vec::new();
    while got.len() < 3 {
        let frame = client.next_json().await;
        got.push(
            frame["offset"]
                .as_u64()
                .map_or_else(|| frame["type"].to_string(), |o| o.to_string()),
        );
    }
    publish(&server, "chat_42", 4);
    got.push(client.next_json().await["offset"].to_string());
    assert_eq!(got, ["2", "3", "\"confirm_history\"", "4"]);
}

/// A session the server ends with `reconnect: false` is never restorable: here its token expired
/// under `disconnectOnTokenExpiry`, and the client comes back with a new token and the old sid.
#[tokio::test]
async fn a_session_ended_for_good_is_not_kept() {
    let server = start(Config {
        disconnect_on_token_expiry: true,
        ..resumable_config()
    })
    .await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let expiring = anycable_core::Identificator::new(
        SECRET.as_bytes(),
        anycable_core::Ttl::from_seconds(300.0).unwrap(),
        anycable_core::Algorithm::HS256,
    )
    .unwrap()
    .generate_with(r#"{"user_id":1}"#, now, now + 1);
    let (mut client, welcome) = connect_as(&server, EXT, Some(&expiring), "", &[]).await;
    let old = welcome["sid"].as_str().unwrap().to_owned();
    client.subscribe(&public_identifier("chat_42")).await;
    assert_eq!(
        client.next_json().await,
        json!({"type": "disconnect", "reason": "token_expired", "reconnect": false})
    );
    until_subscriptions(&server, 0).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (_client, welcome) = restoring(&server, &user(1), &old, "").await;
    assert_fresh(&welcome);
}

/// An application that identifies tokenless clients by `?u=` and answers `RoomChannel`, welcoming
/// with the server's sid (as `@anycable/serverless-js` does); records each call's method and
/// request.
struct Rooms {
    calls: std::sync::Mutex<Vec<(anycable_core::Method, Value)>>,
}

impl anycable_core::Transport for Rooms {
    fn call(
        &self,
        method: anycable_core::Method,
        sid: &str,
        request: String,
    ) -> anycable_core::CallFuture {
        let request: Value = serde_json::from_str(&request).unwrap();
        let response = match method {
            anycable_core::Method::Connect => {
                let url = request["env"]["url"].as_str().unwrap_or_default();
                let user = if url.contains("u=2") { "2" } else { "1" };
                json!({
                    "status": 1,
                    "identifiers": json!({ "user": user }).to_string(),
                    "transmissions": [json!({"type": "welcome", "sid": sid}).to_string()],
                })
            }
            anycable_core::Method::Command if request["command"] == "subscribe" => json!({
                "status": 1, "streams": ["room"],
                "transmissions": [json!({"identifier": ROOM, "type": "confirm_subscription"}).to_string()],
                "env": {"istate": {ROOM: "joined"}},
            }),
            _ => json!({"status": 1}),
        };
        self.calls.lock().unwrap().push((method, request));
        Box::pin(async move { Ok(response.to_string()) })
    }
}

const ROOM: &str = r#"{"channel":"RoomChannel","id":"1"}"#;

/// A tokenless client is authenticated by the application's `connect` on every connect, restores
/// only as the user `connect` identified, and its application channel comes back with its state
/// and without a second `subscribe`.
#[tokio::test]
async fn an_application_session_restores_after_connect_identifies_the_same_user() {
    let rooms = Arc::new(Rooms {
        calls: std::sync::Mutex::new(Vec::new()),
    });
    let server = CableServer::start_with(
        resumable_config(),
        Some(rooms.clone() as Arc<dyn anycable_core::Transport>),
    )
    .await
    .unwrap();
    let (mut client, welcome) = connect_as(&server, EXT, None, "?u=1", &[]).await;
    let old = welcome["sid"].as_str().unwrap().to_owned();
    assert_eq!(client.subscribe(ROOM).await["type"], "confirm_subscription");
    client.ws.close(None).await.unwrap();
    until_subscriptions(&server, 0).await;
    tokio::time::sleep(Duration::from_millis(50)).await;

    let (_other, welcome) = connect_as(&server, EXT, None, &format!("?u=2&sid={old}"), &[]).await;
    assert_fresh(&welcome);
    let (mut owner, welcome) =
        connect_as(&server, EXT, None, &format!("?u=1&sid={old}&pi=1"), &[]).await;
    assert_eq!(welcome["restored"], true, "{welcome}");
    assert_eq!(welcome["restored_ids"], json!([ROOM]));
    server.publish(Publication::new("room", "1".into()).unwrap());
    assert_eq!(owner.next_json().await["message"], 1);
    owner
        .send_json(json!({"command": "message", "identifier": ROOM, "data": "{\"action\":\"x\"}"}))
        .await;
    tokio::time::timeout(WAIT, async {
        while rooms.calls.lock().unwrap().last().unwrap().1["command"] != "message" {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the perform reaches the application");

    let calls = rooms.calls.lock().unwrap();
    let connects = calls
        .iter()
        .filter(|(method, _)| *method == anycable_core::Method::Connect)
        .count();
    assert_eq!(connects, 3, "every connect authenticates");
    let subscribes = calls
        .iter()
        .filter(|(_, request)| request["command"] == "subscribe")
        .count();
    assert_eq!(
        subscribes, 1,
        "the restored channel is not subscribed again"
    );
    let (_, perform) = calls.last().unwrap();
    assert_eq!(perform["connection_identifiers"], r#"{"user":"1"}"#);
    assert_eq!(perform["env"]["istate"][ROOM], "joined");
}
