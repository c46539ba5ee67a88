//! The Redis broker across real nodes on a real redis-server: one epoch and one offset sequence
//! for the cluster, history from any node, and what happens while Redis is down or after it
//! restarts. Offsets are asserted relative to the first one (a stream may start above 1).

mod support;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anycable_core::{broadcast_key, CableServer, Config, Publication};
use serde_json::{json, Value};
use support::*;

const QUIET: Duration = Duration::from_millis(500);

fn node(redis: &RedisServer) -> Config {
    Config {
        broker: "redis".into(),
        redis_url: Some(redis.url()),
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

/// A client on `server` subscribed to `stream`.
async fn watcher(server: &CableServer, stream: &str) -> Client {
    let mut client = ext_client(server).await;
    let confirm = client.subscribe(&public_identifier(stream)).await;
    assert_eq!(confirm["type"], "confirm_subscription");
    client
}

/// Waits until `stats()` says the server's Redis connections are all up, or not all.
async fn until_connected(server: &CableServer, connected: bool) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while server.stats().redis.expect("Redis is used").connected != connected {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("stats().redis.connected is not {connected}"));
}

/// `POST /_broadcast` with one publication; returns the status.
async fn http_broadcast(server: &CableServer, stream: &str, data: &str) -> u16 {
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
    status
}

fn publish(server: &CableServer, stream: &str, n: u64) {
    server.publish(Publication::new(stream, json!({ "n": n }).to_string()).unwrap());
}

fn offset(frame: &Value) -> u64 {
    frame["offset"]
        .as_u64()
        .unwrap_or_else(|| panic!("no offset in {frame}"))
}

async fn history(client: &mut Client, stream: &str, request: Value) {
    let identifier = public_identifier(stream);
    client
        .send_json(json!({"command": "history", "identifier": identifier, "history": request}))
        .await;
}

fn at(stream: &str, epoch: &Value, offset: u64) -> Value {
    json!({"streams": {stream: {"epoch": epoch, "offset": offset}}})
}

async fn expect_type(client: &mut Client, kind: &str) -> Value {
    let frame = client.next_json().await;
    assert_eq!(frame["type"], kind, "{frame}");
    frame
}

/// Publishes on `publisher` until `client` (on another node) gets a broadcast: right after Redis
/// restarts, a node's first command may still go to the old connection (it notices within a
/// second) and be delivered only on that node. Later probes that arrive are read and dropped.
async fn first_registered(publisher: &CableServer, client: &mut Client, stream: &str) -> Value {
    for n in 0..50 {
        publish(publisher, stream, 100 + n);
        if let Ok(frame) =
            tokio::time::timeout(Duration::from_millis(200), client.next_json()).await
        {
            assert!(frame["offset"].is_u64(), "{frame}");
            // A probe still on its way is read here, not by the test's next step.
            while tokio::time::timeout(QUIET, client.next_json())
                .await
                .is_ok()
            {}
            return frame;
        }
    }
    panic!("no broadcast registered within 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_epoch_and_one_offset_sequence_across_nodes() {
    let redis = RedisServer::start().await;
    let nodes = [
        Arc::new(start(node(&redis)).await),
        Arc::new(start(node(&redis)).await),
        Arc::new(start(node(&redis)).await),
    ];
    let mut clients = Vec::new();
    for server in &nodes {
        clients.push(watcher(server, "chat").await);
    }
    let publishers: Vec<_> = nodes
        .iter()
        .enumerate()
        .map(|(index, server)| {
            let server = Arc::clone(server);
            tokio::spawn(async move {
                for n in 0..100 {
                    publish(&server, "chat", index as u64 * 1000 + n);
                    if n % 10 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
            })
        })
        .collect();
    for publisher in publishers {
        publisher.await.unwrap();
    }
    let mut sequences = Vec::new();
    for client in &mut clients {
        let mut frames = Vec::new();
        for _ in 0..300 {
            frames.push(client.next_json().await);
        }
        client.expect_silence(QUIET).await;
        sequences.push(frames);
    }
    let first = &sequences[0];
    let epoch = &first[0]["epoch"];
    let start = offset(&first[0]);
    for (i, frame) in first.iter().enumerate() {
        assert_eq!(&frame["epoch"], epoch, "one epoch");
        assert_eq!(offset(frame), start + i as u64, "contiguous offsets");
    }
    // Each publisher's messages in its order, all 300 once.
    let mut ns: Vec<u64> = first
        .iter()
        .map(|f| f["message"]["n"].as_u64().unwrap())
        .collect();
    for index in 0..3u64 {
        let own: Vec<u64> = ns.iter().copied().filter(|n| n / 1000 == index).collect();
        assert_eq!(own, (index * 1000..index * 1000 + 100).collect::<Vec<_>>());
    }
    ns.sort_unstable();
    ns.dedup();
    assert_eq!(ns.len(), 300);
    for other in &sequences[1..] {
        let strip = |frames: &Vec<Value>| -> Vec<Value> {
            frames
                .iter()
                .map(|f| json!([f["epoch"], f["offset"], f["message"]]))
                .collect()
        };
        assert_eq!(strip(other), strip(first), "the same frames on every node");
    }
}

#[tokio::test]
async fn history_is_read_from_redis_on_any_node() {
    let redis = RedisServer::start().await;
    let (a, b) = (start(node(&redis)).await, start(node(&redis)).await);
    let mut on_a = watcher(&a, "news").await;
    for n in 1..=3 {
        publish(&a, "news", n);
    }
    let live: Vec<Value> = [
        on_a.next_json().await,
        on_a.next_json().await,
        on_a.next_json().await,
    ]
    .into();
    let epoch = live[0]["epoch"].clone();
    let first = offset(&live[0]);

    let mut on_b = watcher(&b, "news").await;
    history(&mut on_b, "news", at("news", &epoch, first)).await;
    assert_eq!(on_b.next_json().await["message"], live[1]["message"]);
    let third = on_b.next_json().await;
    assert_eq!(
        (third["message"].clone(), offset(&third)),
        (live[2]["message"].clone(), first + 2)
    );
    expect_type(&mut on_b, "confirm_history").await;

    let mut since = ext_client(&b).await;
    let identifier = public_identifier("news");
    since
        .send_json(json!({"command": "subscribe", "identifier": identifier, "history": {"since": now() - 60}}))
        .await;
    expect_type(&mut since, "confirm_subscription").await;
    for frame in &live {
        assert_eq!(&since.next_json().await, frame);
    }
    expect_type(&mut since, "confirm_history").await;
}

#[tokio::test]
async fn history_limit_and_ttl_apply_in_redis() {
    let redis = RedisServer::start().await;
    let config = Config {
        history_limit: 3,
        history_ttl: Duration::from_secs(1),
        ..node(&redis)
    };
    let (a, b) = (start(config.clone()).await, start(config).await);
    let mut on_a = watcher(&a, "s").await;
    for n in 1..=5 {
        publish(&a, "s", n);
    }
    let mut live = Vec::new();
    for _ in 0..5 {
        live.push(on_a.next_json().await);
    }
    let epoch = live[0]["epoch"].clone();
    let first = offset(&live[0]);
    let mut on_b = watcher(&b, "s").await;
    // Only the last 3 are kept: from the first, the second is missing.
    history(&mut on_b, "s", at("s", &epoch, first)).await;
    expect_type(&mut on_b, "reject_history").await;
    history(&mut on_b, "s", at("s", &epoch, first + 2)).await;
    assert_eq!(offset(&on_b.next_json().await), first + 3);
    assert_eq!(offset(&on_b.next_json().await), first + 4);
    expect_type(&mut on_b, "confirm_history").await;

    tokio::time::sleep(Duration::from_millis(2100)).await;
    // Expired: up to date is still an empty success, anything older is gone.
    history(&mut on_b, "s", at("s", &epoch, first + 4)).await;
    expect_type(&mut on_b, "confirm_history").await;
    history(&mut on_b, "s", at("s", &epoch, first + 3)).await;
    expect_type(&mut on_b, "reject_history").await;
}

#[tokio::test]
async fn http_is_201_after_registration_and_503_while_redis_is_down() {
    let mut redis = RedisServer::start().await;
    let port = redis.port;
    let a = start(node(&redis)).await;
    let mut on_a = watcher(&a, "s").await;
    assert_eq!(http_broadcast(&a, "s", "1").await, 201);
    let before = on_a.next_json().await;
    assert!(before["offset"].is_u64(), "{before}");

    redis.stop();
    until_connected(&a, false).await;
    assert_eq!(http_broadcast(&a, "s", "2").await, 503);
    on_a.expect_silence(QUIET).await;
    assert_eq!(a.stats().redis.unwrap().refused, 1);

    let _redis = RedisServer::start_on(port).await;
    until_connected(&a, true).await;
    assert_eq!(http_broadcast(&a, "s", "3").await, 201);
    let after = on_a.next_json().await;
    assert_eq!(after["message"], 3);
    assert!(after["offset"].is_u64(), "{after}");
}

#[tokio::test]
async fn node_broadcasts_while_redis_is_down_reach_this_node_without_a_position() {
    let mut redis = RedisServer::start().await;
    let (a, b) = (start(node(&redis)).await, start(node(&redis)).await);
    let mut on_a = watcher(&a, "s").await;
    let mut on_b = watcher(&b, "s").await;
    redis.stop();
    until_connected(&a, false).await;
    publish(&a, "s", 1);
    let frame = on_a.next_json().await;
    assert_eq!(frame["message"], json!({"n": 1}));
    assert!(frame.get("offset").is_none(), "{frame}");
    on_b.expect_silence(QUIET).await;
    assert_eq!(a.stats().redis.unwrap().dropped, 1);
}

#[tokio::test]
async fn a_restarted_redis_gives_a_new_epoch() {
    let mut redis = RedisServer::start().await;
    let port = redis.port;
    let (a, b) = (start(node(&redis)).await, start(node(&redis)).await);
    let mut on_a = watcher(&a, "s").await;
    // A client with marks: it asked for history, as the extended JS client does.
    history(&mut on_a, "s", json!({"since": now() - 60})).await;
    expect_type(&mut on_a, "confirm_history").await;
    for n in 1..=3 {
        publish(&a, "s", n);
    }
    let mut old = Vec::new();
    for _ in 0..3 {
        old.push(on_a.next_json().await);
    }
    let old_epoch = old[0]["epoch"].clone();

    redis.stop();
    until_connected(&a, false).await;
    let _redis = RedisServer::start_on(port).await;
    until_connected(&a, true).await;
    until_connected(&b, true).await;

    let frame = first_registered(&b, &mut on_a, "s").await;
    assert_ne!(frame["epoch"], old_epoch, "a new epoch");
    // Offsets began again under the client's old mark: the new epoch's frame still came.
    assert!(offset(&frame) <= offset(&old[2]), "{frame}");
    let mut raw = watcher(&b, "s").await;
    history(&mut raw, "s", at("s", &old_epoch, offset(&old[0]))).await;
    expect_type(&mut raw, "reject_history").await;
}

/// An extended-protocol client on `server` subscribed to `stream`, and its sid.
async fn watcher_with_sid(server: &CableServer, stream: &str) -> (Client, String) {
    let protocols = ext_protocols();
    let mut client =
        connect_with(server, "/cable", &[("sec-websocket-protocol", &protocols)]).await;
    let welcome = expect_type(&mut client, "welcome").await;
    let sid = welcome["sid"].as_str().expect("a sid").to_owned();
    let confirm = client.subscribe(&public_identifier(stream)).await;
    assert_eq!(confirm["type"], "confirm_subscription");
    (client, sid)
}

/// Stops Redis the clean way, so that its append-only file holds every write.
async fn shut_down(redis: &mut RedisServer) {
    let client = redis::Client::open(redis.url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    // The connection closes instead of answering.
    let _ = redis::cmd("SHUTDOWN")
        .query_async::<redis::Value>(&mut connection)
        .await;
    redis.stop();
}

#[tokio::test]
async fn a_redis_restarted_from_its_files_gives_a_new_epoch() {
    let dir = std::env::temp_dir().join(format!("acrs-aof-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dir_text = dir.to_str().unwrap().to_owned();
    let options = ["--appendonly", "yes", "--dir", &dir_text];
    let mut redis = RedisServer::start_with(&options).await;
    let port = redis.port;
    let a = start(node(&redis)).await;
    let mut on_a = watcher(&a, "s").await;
    publish(&a, "s", 1);
    let before = on_a.next_json().await;

    shut_down(&mut redis).await;
    until_connected(&a, false).await;
    let redis = RedisServer::start_on_with(port, &options).await;
    until_connected(&a, true).await;
    let offsets = redis.command(&["HGET", "$acrs:o:s", "n"]).await;
    assert_eq!(
        offsets,
        redis::Value::BulkString(offset(&before).to_string().into_bytes()),
        "the data came back from the file"
    );

    let frame = first_registered(&a, &mut on_a, "s").await;
    assert_ne!(
        frame["epoch"], before["epoch"],
        "another Redis process, another epoch"
    );
    history(&mut on_a, "s", at("s", &before["epoch"], offset(&before))).await;
    expect_type(&mut on_a, "reject_history").await;
    drop(redis);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_stalled_redis_keeps_its_epoch() {
    let redis = RedisServer::start().await;
    let a = start(node(&redis)).await;
    let mut on_a = watcher(&a, "s").await;
    publish(&a, "s", 1);
    let before = on_a.next_json().await;

    redis.pause();
    until_connected(&a, false).await;
    redis.resume();
    until_connected(&a, true).await;

    let frame = first_registered(&a, &mut on_a, "s").await;
    assert_eq!(frame["epoch"], before["epoch"], "the same Redis process");
    history(&mut on_a, "s", at("s", &before["epoch"], offset(&before))).await;
    let replayed = on_a.next_json().await;
    assert_eq!(offset(&replayed), offset(&before) + 1, "{replayed}");
}

#[tokio::test]
async fn a_cut_subscription_is_repaired_from_history() {
    let redis = RedisServer::start().await;
    let (a, b) = (start(node(&redis)).await, start(node(&redis)).await);
    let mut on_a = watcher(&a, "s").await;
    for n in 1..=3 {
        publish(&b, "s", n);
    }
    let first = offset(&on_a.next_json().await);
    on_a.next_json().await;
    on_a.next_json().await;

    redis.command(&["CLIENT", "KILL", "TYPE", "pubsub"]).await;
    // Registered while A's fan-out subscription is cut: lost to it on the channel.
    for n in 4..=6 {
        publish(&b, "s", n);
    }
    until_connected(&a, true).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    publish(&b, "s", 7);
    for n in 4..=7 {
        let frame = on_a.next_json().await;
        assert_eq!(
            (frame["message"]["n"].as_u64(), offset(&frame)),
            (Some(n), first + n - 1),
            "{frame}"
        );
    }
    on_a.expect_silence(QUIET).await;
}

#[tokio::test]
async fn flushed_scripts_are_loaded_again() {
    let redis = RedisServer::start().await;
    let a = start(node(&redis)).await;
    let mut on_a = watcher(&a, "s").await;
    publish(&a, "s", 1);
    let before = on_a.next_json().await;
    redis.command(&["SCRIPT", "FLUSH"]).await;
    publish(&a, "s", 2);
    let after = on_a.next_json().await;
    assert_eq!(offset(&after), offset(&before) + 1);
    assert_eq!(a.stats().redis.unwrap().dropped, 0);
}

#[tokio::test]
async fn transient_and_excluded_publications_reach_every_node_in_order() {
    let redis = RedisServer::start().await;
    let (a, b) = (start(node(&redis)).await, start(node(&redis)).await);
    let mut on_a = watcher(&a, "s").await;
    let (mut on_b, sid) = watcher_with_sid(&b, "s").await;
    let (mut other_on_b, _) = watcher_with_sid(&b, "s").await;
    let kept = |n: u64| Publication::new("s", json!({ "n": n }).to_string()).unwrap();
    a.publish(kept(1));
    a.publish(Publication {
        transient: true,
        ..kept(2)
    });
    a.publish(Publication {
        exclude_socket: Some(sid),
        ..kept(3)
    });
    a.publish(kept(4));
    for client in [&mut on_a, &mut other_on_b] {
        let frames = [
            client.next_json().await,
            client.next_json().await,
            client.next_json().await,
            client.next_json().await,
        ];
        let ns: Vec<_> = frames.iter().map(|f| f["message"]["n"].clone()).collect();
        assert_eq!(ns, [1, 2, 3, 4]);
        assert!(frames[1].get("offset").is_none(), "{}", frames[1]);
        assert_eq!(
            offset(&frames[3]),
            offset(&frames[0]) + 2,
            "transient takes no offset"
        );
    }
    let excluded: Vec<_> = [
        on_b.next_json().await,
        on_b.next_json().await,
        on_b.next_json().await,
    ]
    .iter()
    .map(|f| f["message"]["n"].clone())
    .collect();
    assert_eq!(excluded, [1, 2, 4], "excluded on the other node too");
}

#[tokio::test]
async fn a_forgotten_stream_starts_above_its_old_offsets() {
    let redis = RedisServer::start().await;
    let a = start(node(&redis)).await;
    let mut on_a = watcher(&a, "s").await;
    for n in 1..=3 {
        publish(&a, "s", n);
    }
    let mut last = 0;
    for _ in 0..3 {
        last = offset(&on_a.next_json().await);
    }
    redis.command(&["DEL", "$acrs:o:s"]).await;
    publish(&a, "s", 4);
    let frame = on_a.next_json().await;
    assert!(offset(&frame) > last, "{frame} after {last}");
}

#[tokio::test]
async fn an_xadd_id_conflict_restarts_the_history() {
    let redis = RedisServer::start().await;
    let a = start(node(&redis)).await;
    let mut on_a = watcher(&a, "s").await;
    publish(&a, "s", 1);
    on_a.next_json().await;
    // A history whose top id is ahead of anything its offsets would give.
    let future = format!("{}-999999", (now() + 3600) * 1000);
    redis
        .command(&["XADD", "$acrs:h:s", &future, "d", "\"stale\""])
        .await;
    publish(&a, "s", 2);
    let frame = on_a.next_json().await;
    assert_eq!(frame["message"], json!({"n": 2}));
    let mut asking = watcher(&a, "s").await;
    history(
        &mut asking,
        "s",
        at("s", &frame["epoch"], offset(&frame) - 1),
    )
    .await;
    let replayed = asking.next_json().await;
    assert_eq!(
        replayed["message"],
        json!({"n": 2}),
        "only the new message is kept"
    );
    expect_type(&mut asking, "confirm_history").await;
    history(
        &mut asking,
        "s",
        at("s", &frame["epoch"], offset(&frame) - 2),
    )
    .await;
    expect_type(&mut asking, "reject_history").await;
}
