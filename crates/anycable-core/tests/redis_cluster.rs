//! Sessions and presence of a cluster: several nodes on one Redis with `broker: "redis"`. A
//! session kept on one node is restored on any, once; presence is one set per stream whichever
//! node a user joined on, and each change reaches every node's subscribers once.

mod support;

use std::time::Duration;

use anycable_core::{CableServer, Config, PresentId};
use futures_util::StreamExt;
use serde_json::{json, Value};
use support::*;

const EXT: &str = "actioncable-v1-ext-json";
const QUIET: Duration = Duration::from_millis(500);

fn node(redis: &RedisServer) -> Config {
    Config {
        broker: "redis".into(),
        redis_url: Some(redis.url()),
        public_streams: true,
        presence_ttl: Duration::from_secs(2),
        ..config()
    }
}

async fn nodes<const N: usize>(redis: &RedisServer) -> [CableServer; N] {
    let mut nodes = Vec::with_capacity(N);
    for _ in 0..N {
        nodes.push(start(node(redis)).await);
    }
    nodes.try_into().unwrap_or_else(|_| unreachable!())
}

fn user(id: u32) -> String {
    token(&json!({ "user_id": id }).to_string())
}

/// Connects on the extended protocol as `token`, asking to restore `sid` if given; returns the
/// client and its welcome.
async fn connect_ext(server: &CableServer, token: &str, sid: Option<&str>) -> (Client, Value) {
    let protocols = format!("{EXT}, anycable-token.{token}");
    let path = sid.map_or("/cable".to_owned(), |sid| format!("/cable?sid={sid}"));
    let mut client = connect_with(server, &path, &[("sec-websocket-protocol", &protocols)]).await;
    let welcome = client.next_json().await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    (client, welcome)
}

/// A session of `token` subscribed to `stream` on `server`, closed by the client once kept;
/// returns its sid.
async fn kept_session(server: &CableServer, token: &str, stream: &str) -> String {
    let (mut client, welcome) = connect_ext(server, token, None).await;
    let confirm = client.subscribe(&public_identifier(stream)).await;
    assert_eq!(confirm["type"], "confirm_subscription", "{confirm}");
    client.ws.close(None).await.unwrap();
    until_subscriptions(server, 0).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    welcome["sid"].as_str().unwrap().to_owned()
}

fn restored(welcome: &Value) -> bool {
    welcome["restored"] == true
}

#[tokio::test]
async fn a_session_kept_on_one_node_is_restored_on_another_once() {
    let redis = RedisServer::start().await;
    let [a, b, c] = nodes(&redis).await;
    let old = kept_session(&a, &user(1), "chat_42").await;
    let (_restored, welcome) = connect_ext(&b, &user(1), Some(&old)).await;
    assert!(restored(&welcome), "{welcome}");
    assert_eq!(
        welcome["restored_ids"],
        json!([public_identifier("chat_42")])
    );
    for server in [&a, &b, &c] {
        let (_again, welcome) = connect_ext(server, &user(1), Some(&old)).await;
        assert!(!restored(&welcome), "{welcome}");
    }
}

#[tokio::test]
async fn another_users_token_restores_nothing_and_leaves_it_to_the_owner() {
    let redis = RedisServer::start().await;
    let [a, b] = nodes(&redis).await;
    let old = kept_session(&a, &user(1), "chat_42").await;
    let (_thief, welcome) = connect_ext(&b, &user(2), Some(&old)).await;
    assert!(!restored(&welcome), "{welcome}");
    let (_owner, welcome) = connect_ext(&b, &user(1), Some(&old)).await;
    assert!(restored(&welcome), "{welcome}");
}

#[tokio::test]
async fn kept_sessions_expire_after_sessions_ttl() {
    let redis = RedisServer::start().await;
    let short = Config {
        sessions_ttl: Duration::from_secs(1),
        ..node(&redis)
    };
    let a = start(short.clone()).await;
    let b = start(short).await;
    let old = kept_session(&a, &user(1), "chat_42").await;
    let kept = kept_session(&a, &user(1), "chat_42").await;
    let (_in_time, welcome) = connect_ext(&b, &user(1), Some(&kept)).await;
    assert!(restored(&welcome), "restored within the ttl: {welcome}");
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let (_late, welcome) = connect_ext(&b, &user(1), Some(&old)).await;
    assert!(!restored(&welcome), "{welcome}");
    assert_eq!(
        redis.command(&["KEYS", "$acrs:se:*"]).await,
        redis::Value::Array(vec![])
    );
}

/// An extended-protocol client subscribed to the public stream `stream`.
async fn subscriber(server: &CableServer, stream: &str) -> Client {
    let mut client = ext_client(server).await;
    let confirm = client.subscribe(&public_identifier(stream)).await;
    assert_eq!(confirm["type"], "confirm_subscription", "{confirm}");
    client
}

async fn join(client: &mut Client, stream: &str, id: &str, info: Value) {
    let identifier = public_identifier(stream);
    client
        .send_json(json!({"command": "join", "identifier": identifier, "presence": {"id": id, "info": info}}))
        .await;
}

async fn leave(client: &mut Client, stream: &str) {
    let identifier = public_identifier(stream);
    client
        .send_json(json!({"command": "leave", "identifier": identifier}))
        .await;
}

/// Sends `presence` and returns the reply's `message`.
async fn info(client: &mut Client, stream: &str) -> Value {
    let identifier = public_identifier(stream);
    client
        .send_json(json!({"command": "presence", "identifier": identifier, "data": {}}))
        .await;
    let reply = client.next_json().await;
    assert_eq!(reply["type"], "presence", "{reply}");
    reply["message"].clone()
}

/// The `info` reply's ids, sorted.
async fn present_ids(client: &mut Client, stream: &str) -> Vec<String> {
    let message = info(client, stream).await;
    let mut ids: Vec<String> = message["records"]
        .as_array()
        .map(|records| {
            records
                .iter()
                .map(|record| record["id"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

fn event(stream: &str, message: Value) -> Value {
    json!({"type": "presence", "identifier": public_identifier(stream), "message": message})
}

/// A `join` event; a join without info (`null`) has none.
fn joined(stream: &str, id: &str, info: Value) -> Value {
    let mut message = json!({"type": "join", "id": id});
    if !info.is_null() {
        message["info"] = info;
    }
    event(stream, message)
}

fn left(stream: &str, id: &str) -> Value {
    event(stream, json!({"type": "leave", "id": id}))
}

/// Waits until `id` is present on `stream` (joins are answered asynchronously).
async fn until_present(server: &CableServer, stream: &str, id: &str) {
    tokio::time::timeout(WAIT, async {
        loop {
            let presence = server.presence(stream).await.expect("presence answers");
            if presence.records.iter().any(|record| record.id == id) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the join is registered");
}

#[tokio::test]
async fn presence_on_one_node_is_listed_on_every_node() {
    let redis = RedisServer::start().await;
    let [a, b, c] = nodes(&redis).await;
    let mut joiner = subscriber(&a, "room").await;
    join(&mut joiner, "room", "u1", json!({"name": "Ann"})).await;
    until_present(&a, "room", "u1").await;
    for server in [&a, &b, &c] {
        assert_eq!(
            server.presence("room").await.unwrap().records,
            [PresentId {
                id: "u1".into(),
                info: Some(r#"{"name":"Ann"}"#.into()),
            }]
        );
    }
    let mut asker = subscriber(&c, "room").await;
    assert_eq!(
        info(&mut asker, "room").await,
        json!({"type": "info", "total": 1, "records": [{"id": "u1", "info": {"name": "Ann"}}]})
    );
}

#[tokio::test]
async fn join_and_leave_reach_every_nodes_subscribers_once() {
    let redis = RedisServer::start().await;
    let [a, b, c] = nodes(&redis).await;
    let mut joiner = subscriber(&a, "room").await;
    let mut watchers = [subscriber(&b, "room").await, subscriber(&c, "room").await];
    join(&mut joiner, "room", "u1", json!(null)).await;
    assert_eq!(joiner.next_json().await, joined("room", "u1", json!(null)));
    for watcher in &mut watchers {
        assert_eq!(watcher.next_json().await, joined("room", "u1", json!(null)));
    }
    leave(&mut joiner, "room").await;
    assert_eq!(joiner.next_json().await, left("room", "u1"));
    for watcher in &mut watchers {
        assert_eq!(watcher.next_json().await, left("room", "u1"));
    }
    joiner.expect_silence(QUIET).await;
    for watcher in &mut watchers {
        watcher.expect_silence(Duration::ZERO).await;
    }
}

#[tokio::test]
async fn one_id_on_two_nodes_is_one_record_and_leaves_once() {
    let redis = RedisServer::start().await;
    let [a, b, c] = nodes(&redis).await;
    let mut tab1 = subscriber(&a, "room").await;
    let mut tab2 = subscriber(&b, "room").await;
    let mut watcher = subscriber(&c, "room").await;
    join(&mut tab1, "room", "u1", json!("tab 1")).await;
    assert_eq!(
        watcher.next_json().await,
        joined("room", "u1", json!("tab 1"))
    );
    join(&mut tab2, "room", "u1", json!("tab 2")).await;
    watcher.expect_silence(QUIET).await;
    assert_eq!(
        info(&mut watcher, "room").await,
        json!({"type": "info", "total": 1, "records": [{"id": "u1", "info": "tab 2"}]})
    );
    leave(&mut tab1, "room").await;
    watcher.expect_silence(QUIET).await;
    leave(&mut tab2, "room").await;
    assert_eq!(watcher.next_json().await, left("room", "u1"));
    watcher.expect_silence(QUIET).await;
    assert_eq!(
        redis.command(&["KEYS", "$acrs:p*"]).await,
        redis::Value::Array(vec![]),
        "nothing is left behind"
    );
}

#[tokio::test]
async fn a_dropped_nodes_presence_lapses_with_one_leave_per_watcher() {
    let redis = RedisServer::start().await;
    let [a, b, c] = nodes(&redis).await;
    let mut joiner = subscriber(&a, "room").await;
    let mut watchers = [subscriber(&b, "room").await, subscriber(&c, "room").await];
    join(&mut joiner, "room", "u1", json!(null)).await;
    for watcher in &mut watchers {
        assert_eq!(watcher.next_json().await, joined("room", "u1", json!(null)));
    }
    drop(joiner);
    drop(a);
    for watcher in &mut watchers {
        // The ttl is 2 s; B and C both sweep every second.
        assert_eq!(watcher.next_json().await, left("room", "u1"));
    }
    for watcher in &mut watchers {
        watcher.expect_silence(Duration::from_secs(2)).await;
    }
    assert_eq!(b.presence("room").await.unwrap().total(), 0);
}

#[tokio::test]
async fn id_mismatch_and_size_limits_as_in_memory() {
    let redis = RedisServer::start().await;
    let [a, b] = nodes(&redis).await;
    let mut client = subscriber(&a, "room").await;
    let mut watcher = subscriber(&b, "room").await;
    join(&mut client, "room", "u1", json!(null)).await;
    assert_eq!(watcher.next_json().await, joined("room", "u1", json!(null)));
    join(&mut client, "room", "u2", json!(null)).await;
    join(&mut client, "room", &"x".repeat(1025), json!(null)).await;
    let mut other = subscriber(&a, "room").await;
    join(&mut other, "room", "u3", json!("x".repeat(4096))).await;
    watcher.expect_silence(QUIET).await;
    assert_eq!(present_ids(&mut watcher, "room").await, ["u1"]);
}

#[tokio::test]
async fn while_redis_is_down_info_is_an_error_and_joins_send_nothing() {
    let mut redis = RedisServer::start().await;
    let [a] = nodes(&redis).await;
    let mut client = subscriber(&a, "room").await;
    redis.stop();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(info(&mut client, "room").await["type"], "error");
    assert!(a.presence("room").await.is_err());
    join(&mut client, "room", "u1", json!(null)).await;
    client.expect_silence(QUIET).await;
}

/// What the broker's scripts publish on the fan-out channel, for a check below the delivery path.
async fn fanout_payloads(redis: &RedisServer) -> impl futures_util::Stream<Item = Vec<u8>> {
    let client = redis::Client::open(redis.url()).unwrap();
    let mut pubsub = client.get_async_pubsub().await.unwrap();
    pubsub.subscribe("$acrs:fanout").await.unwrap();
    pubsub
        .into_on_message()
        .map(|message| message.get_payload_bytes().to_vec())
}

async fn next_payload(
    payloads: &mut (impl futures_util::Stream<Item = Vec<u8>> + Unpin),
) -> Vec<u8> {
    tokio::time::timeout(WAIT, payloads.next())
        .await
        .expect("a fan-out message")
        .expect("the subscription lasts")
}

#[tokio::test]
async fn presence_changes_are_published_once_as_records() {
    let redis = RedisServer::start().await;
    let [a, b] = nodes(&redis).await;
    let mut payloads = Box::pin(fanout_payloads(&redis).await);
    let mut tab1 = subscriber(&a, "room").await;
    let mut tab2 = subscriber(&b, "room").await;
    join(&mut tab1, "room", "u1", json!({"n": 1})).await;
    assert_eq!(next_payload(&mut payloads).await, b"j4:room2:u17:{\"n\":1}");
    join(&mut tab2, "room", "u1", json!(null)).await;
    until_present(&b, "room", "u1").await;
    leave(&mut tab1, "room").await;
    leave(&mut tab2, "room").await;
    assert_eq!(next_payload(&mut payloads).await, b"l4:room2:u1");
    assert!(
        tokio::time::timeout(QUIET, payloads.next()).await.is_err(),
        "one join and one leave"
    );
}

#[tokio::test]
async fn a_connected_sessions_presence_outlives_the_ttl_while_other_nodes_sweep() {
    let redis = RedisServer::start().await;
    let [a, b] = nodes(&redis).await;
    let mut joiner = subscriber(&a, "room").await;
    let mut watcher = subscriber(&b, "room").await;
    join(&mut joiner, "room", "u1", json!(null)).await;
    assert_eq!(watcher.next_json().await, joined("room", "u1", json!(null)));
    // Twice the ttl: only A's touches keep u1 present while B sweeps every second.
    watcher.expect_silence(Duration::from_secs(4)).await;
    assert_eq!(present_ids(&mut watcher, "room").await, ["u1"]);
}
