//! Presence over real sockets (ext-protocol.md §7.5, scenarios 41–51), with this
//! project's rights (public streams; signed ones unless `streamsPresence: false`; never Turbo)
//! and its bound on `info`.

mod support;

use std::time::Duration;

use anycable_core::{CableServer, Config, PresentId};
use serde_json::{json, Value};
use support::*;

const QUIET: Duration = Duration::from_millis(500);

fn with_presence() -> Config {
    Config {
        public_streams: true,
        turbo_streams: true,
        // As the reference's conformance runs.
        presence_ttl: Duration::from_secs(2),
        ..config()
    }
}

/// An extended-protocol client subscribed to `identifier`.
async fn subscriber(server: &CableServer, identifier: &str) -> Client {
    let mut client = ext_client(server).await;
    let confirm = client.subscribe(identifier).await;
    assert_eq!(confirm["type"], "confirm_subscription", "{confirm}");
    client
}

/// Two subscribers of `id`; the first has joined as `u1` (with no info) and the second has seen it.
async fn u1_joined_before(server: &CableServer, id: &str) -> (Client, Client) {
    let mut c1 = subscriber(server, id).await;
    let mut c2 = subscriber(server, id).await;
    join(&mut c1, id, "u1", json!(null)).await;
    c2.next_json().await;
    (c1, c2)
}

async fn join(client: &mut Client, identifier: &str, id: &str, info: Value) {
    client
        .send_json(json!({"command": "join", "identifier": identifier, "presence": {"id": id, "info": info}}))
        .await;
}

async fn leave(client: &mut Client, identifier: &str) {
    client
        .send_json(json!({"command": "leave", "identifier": identifier}))
        .await;
}

/// Sends `presence` and returns the reply's `message`.
async fn info(client: &mut Client, identifier: &str) -> Value {
    client
        .send_json(json!({"command": "presence", "identifier": identifier, "data": {}}))
        .await;
    let reply = client.next_json().await;
    assert_eq!(reply["type"], "presence", "{reply}");
    assert_eq!(reply["identifier"], identifier);
    reply["message"].clone()
}

fn event(identifier: &str, message: Value) -> Value {
    json!({"type": "presence", "identifier": identifier, "message": message})
}

fn joined(identifier: &str, id: &str, info: Value) -> Value {
    event(identifier, json!({"type": "join", "id": id, "info": info}))
}

fn left(identifier: &str, id: &str) -> Value {
    event(identifier, json!({"type": "leave", "id": id}))
}

#[tokio::test]
async fn s41_s42_s43_a_join_reaches_every_subscriber_and_info_only_the_asker() {
    let server = start(with_presence()).await;
    let id = public_identifier("chat_42");
    let mut c1 = subscriber(&server, &id).await;
    let mut c2 = subscriber(&server, &id).await;
    assert_eq!(
        info(&mut c2, &id).await,
        json!({"type": "info", "total": 0})
    );
    join(&mut c1, &id, "u1", json!({"name": "Ann"})).await;
    let expected = joined(&id, "u1", json!({"name": "Ann"}));
    assert_eq!(c1.next_json().await, expected);
    assert_eq!(c2.next_json().await, expected);
    assert_eq!(
        info(&mut c2, &id).await,
        json!({"type": "info", "total": 1, "records": [{"id": "u1", "info": {"name": "Ann"}}]})
    );
    c1.expect_silence(QUIET).await;
}

#[tokio::test]
async fn s44_the_leave_command_reaches_every_subscriber() {
    let server = start(with_presence()).await;
    let id = public_identifier("chat_42");
    let mut c1 = subscriber(&server, &id).await;
    let mut c2 = subscriber(&server, &id).await;
    join(&mut c1, &id, "u1", json!({"name": "Ann"})).await;
    c1.next_json().await;
    c2.next_json().await;
    leave(&mut c1, &id).await;
    assert_eq!(c1.next_json().await, left(&id, "u1"));
    assert_eq!(c2.next_json().await, left(&id, "u1"));
}

#[tokio::test]
async fn s45_sessions_with_one_id_make_one_record() {
    let server = start(with_presence()).await;
    let id = public_identifier("chat_42");
    let mut c1 = subscriber(&server, &id).await;
    let mut c2 = subscriber(&server, &id).await;
    let mut c3 = subscriber(&server, &id).await;
    join(&mut c1, &id, "u1", json!("tab 1")).await;
    assert_eq!(c2.next_json().await["message"]["type"], "join");
    join(&mut c3, &id, "u1", json!("tab 2")).await;
    c2.expect_silence(QUIET).await;
    assert_eq!(info(&mut c2, &id).await["total"], 1);
    leave(&mut c1, &id).await;
    c2.expect_silence(QUIET).await;
    leave(&mut c3, &id).await;
    assert_eq!(c2.next_json().await, left(&id, "u1"));
}

#[tokio::test]
async fn s46_unsubscribing_leaves() {
    let server = start(with_presence()).await;
    let id = public_identifier("chat_42");
    let (mut c1, mut c2) = u1_joined_before(&server, &id).await;
    c1.send_json(json!({"command": "unsubscribe", "identifier": id}))
        .await;
    assert_eq!(c2.next_json().await, left(&id, "u1"));
}

#[tokio::test]
async fn s47_a_disconnected_id_leaves_after_the_presence_ttl() {
    let server = start(with_presence()).await;
    let id = public_identifier("chat_42");
    let (c1, mut c2) = u1_joined_before(&server, &id).await;
    drop(c1);
    c2.expect_silence(Duration::from_secs(1)).await;
    // Within about 2–4 s of the disconnect (presenceTtl 2, swept every second).
    assert_eq!(c2.next_json().await, left(&id, "u1"));
}

#[tokio::test]
async fn a_connected_session_stays_present_past_the_presence_ttl_on_either_protocol() {
    let server = start(with_presence()).await;
    let id = public_identifier("chat_42");
    let mut plain = welcomed(&server).await;
    assert_eq!(plain.subscribe(&id).await["type"], "confirm_subscription");
    let mut watcher = subscriber(&server, &id).await;
    join(&mut plain, &id, "u1", json!(null)).await;
    watcher.next_json().await;
    watcher.expect_silence(Duration::from_secs(5)).await;
    assert_eq!(info(&mut watcher, &id).await["total"], 1);
}

#[tokio::test]
async fn s49_subscribe_with_presence_joins_after_the_confirmation_and_history() {
    let server = start(with_presence()).await;
    let id = public_identifier("chat_42");
    let mut c1 = ext_client(&server).await;
    c1.send_json(json!({
        "command": "subscribe",
        "identifier": id,
        "history": {"since": 1},
        "presence": {"id": "u9", "info": "x"}
    }))
    .await;
    assert_eq!(c1.next_json().await["type"], "confirm_subscription");
    assert_eq!(c1.next_json().await["type"], "confirm_history");
    assert_eq!(c1.next_json().await, joined(&id, "u9", json!("x")));
}

#[tokio::test]
async fn s50_no_frame_without_a_presence_stream() {
    let server = start(with_presence()).await;
    let turbo = json!({
        "channel": "Turbo::StreamsChannel",
        "signed_stream_name": signed("gid://app/Room/1")
    })
    .to_string();
    let mut client = subscriber(&server, &turbo).await;
    join(&mut client, &turbo, "u1", json!(null)).await;
    client
        .send_json(json!({"command": "presence", "identifier": turbo, "data": {}}))
        .await;
    let unsubscribed = public_identifier("elsewhere");
    join(&mut client, &unsubscribed, "u1", json!(null)).await;
    client
        .send_json(json!({"command": "presence", "identifier": unsubscribed, "data": {}}))
        .await;
    client.expect_silence(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn streams_presence_off_refuses_presence_on_signed_streams_only() {
    let server = start(Config {
        streams_presence: false,
        ..with_presence()
    })
    .await;
    let signed = signed_identifier("chat/1");
    let mut client = subscriber(&server, &signed).await;
    join(&mut client, &signed, "u1", json!(null)).await;
    client
        .send_json(json!({"command": "presence", "identifier": signed, "data": {}}))
        .await;
    client.expect_silence(QUIET).await;
    let public = public_identifier("lobby");
    assert_eq!(
        client.subscribe(&public).await["type"],
        "confirm_subscription"
    );
    join(&mut client, &public, "u1", json!(null)).await;
    assert_eq!(
        client.next_json().await,
        event(&public, json!({"type": "join", "id": "u1"})),
        "a join without info has none"
    );
}

#[tokio::test]
async fn signed_streams_have_presence_by_default() {
    let server = start(with_presence()).await;
    let signed = signed_identifier("chat/1");
    let mut client = subscriber(&server, &signed).await;
    join(&mut client, &signed, "u1", json!({"name": "Ann"})).await;
    assert_eq!(
        client.next_json().await,
        joined(&signed, "u1", json!({"name": "Ann"}))
    );
}

#[tokio::test]
async fn s51_joining_again_updates_the_info_and_another_id_is_refused() {
    let server = start(with_presence()).await;
    let id = public_identifier("chat_42");
    let mut c1 = subscriber(&server, &id).await;
    join(&mut c1, &id, "u1", json!("A")).await;
    assert_eq!(c1.next_json().await, joined(&id, "u1", json!("A")));
    join(&mut c1, &id, "u1", json!("B")).await;
    join(&mut c1, &id, "u2", json!("C")).await;
    c1.expect_silence(QUIET).await;
    assert_eq!(
        info(&mut c1, &id).await,
        json!({"type": "info", "total": 1, "records": [{"id": "u1", "info": "B"}]})
    );
}

#[tokio::test]
async fn an_info_over_the_limit_is_refused_and_not_kept() {
    let server = start(with_presence()).await;
    let id = public_identifier("chat_42");
    let mut c1 = subscriber(&server, &id).await;
    // MAX_PRESENCE_INFO_BYTES is 4 KiB of JSON text.
    join(&mut c1, &id, "u1", json!("x".repeat(4 * 1024))).await;
    c1.expect_silence(QUIET).await;
    assert_eq!(
        info(&mut c1, &id).await,
        json!({"type": "info", "total": 0})
    );
    let fits = "x".repeat(4 * 1024 - 2);
    join(&mut c1, &id, "u1", json!(fits)).await;
    assert_eq!(c1.next_json().await, joined(&id, "u1", json!(fits)));
}

#[tokio::test]
async fn the_host_reads_who_is_present() {
    let server = start(with_presence()).await;
    let id = public_identifier("chat_42");
    let mut c1 = subscriber(&server, &id).await;
    assert_eq!(server.presence("chat_42").await.unwrap().total(), 0);
    join(&mut c1, &id, "u1", json!({"name": "Ann"})).await;
    c1.next_json().await;
    let presence = server.presence("chat_42").await.unwrap();
    assert_eq!(
        presence.records,
        [PresentId {
            id: "u1".into(),
            info: Some(r#"{"name":"Ann"}"#.into())
        }]
    );
    let without_broker = start(Config {
        broker: "none".into(),
        ..with_presence()
    })
    .await;
    assert!(without_broker.presence("chat_42").await.is_err());
}

#[tokio::test]
async fn s48_a_reconnect_within_the_presence_ttl_is_invisible_to_the_others() {
    let server = start(with_presence()).await;
    let id = public_identifier("chat_42");
    let mut watcher = subscriber(&server, &id).await;
    let protocols = ext_protocols();
    let headers = [("sec-websocket-protocol", protocols.as_str())];
    let mut ann = connect_with(&server, "/cable", &headers).await;
    let sid = ann.next_json().await["sid"].as_str().unwrap().to_owned();
    ann.subscribe(&id).await;
    join(&mut ann, &id, "u1", json!("Ann")).await;
    assert_eq!(watcher.next_json().await, joined(&id, "u1", json!("Ann")));
    // The connection drops (no close frame), the session is kept, and the client comes back with
    // its sid and joins again, as the extended JS client does after a restore.
    drop(ann);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut back = connect_with(&server, &format!("/cable?sid={sid}"), &headers).await;
    let welcome = back.next_json().await;
    assert_eq!(welcome["restored"], true, "{welcome}");
    join(&mut back, &id, "u1", json!("Ann")).await;
    // Past the old connection's presence ttl (2 s, swept every second): neither leave nor join.
    watcher.expect_silence(Duration::from_secs(4)).await;
    let present = info(&mut watcher, &id).await;
    assert_eq!(present["total"], 1, "{present}");
    assert_eq!(present["records"][0]["id"], "u1");
}
