//! The `redisx` broadcast adapter against a real redis-server: entries added as the AnyCable SDKs
//! add them reach subscribers once, one node takes each, and what a reader leaves unacknowledged
//! is taken over in order.

mod support;

use std::time::Duration;

use anycable_core::Config;
use redis::Value;
use serde_json::{json, Value as Json};
use support::*;

const STREAM: &str = "__anycable__";
const LEASE: &str = "$acrs:redisx:__anycable__:bx";
const QUIET: Duration = Duration::from_millis(500);

fn node(redis: &RedisServer) -> Config {
    Config {
        redis_url: Some(redis.url()),
        broadcast_adapter: "redisx".into(),
        ..config()
    }
}

fn with_pubsub(redis: &RedisServer) -> Config {
    Config {
        pubsub: "redis".into(),
        ..node(redis)
    }
}

/// `XADD __anycable__ * payload <payload>`, what the Ruby SDK's `redisx` adapter sends.
async fn xadd(redis: &RedisServer, payload: &str) {
    redis
        .command(&["XADD", STREAM, "*", "payload", payload])
        .await;
}

fn publication(stream: &str, n: u64) -> Json {
    json!({"stream": stream, "data": n.to_string()})
}

async fn integer(redis: &RedisServer, args: &[&str]) -> i64 {
    match redis.command(args).await {
        Value::Int(n) => n,
        other => panic!("{args:?} gave {other:?}"),
    }
}

/// Entries neither acknowledged nor deleted: taken ones leave nothing behind.
async fn assert_stream_emptied(redis: &RedisServer) {
    tokio::time::timeout(WAIT, async {
        while integer(redis, &["XLEN", STREAM]).await > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("every entry is acknowledged and deleted");
    match redis.command(&["XPENDING", STREAM, "bx"]).await {
        Value::Array(summary) => assert_eq!(summary[0], Value::Int(0), "nothing pending"),
        other => panic!("XPENDING gave {other:?}"),
    }
}

async fn until_lease_taken(redis: &RedisServer) -> Value {
    tokio::time::timeout(WAIT, async {
        loop {
            match redis.command(&["GET", LEASE]).await {
                Value::Nil => tokio::time::sleep(Duration::from_millis(20)).await,
                holder => return holder,
            }
        }
    })
    .await
    .expect("a node takes the lease")
}

/// The `message` of the next `count` frames, within 10 s (pings keep `next_json` waiting).
async fn messages(client: &mut Client, count: usize) -> Vec<Json> {
    let mut got = Vec::new();
    let all = async {
        for _ in 0..count {
            got.push(client.next_json().await["message"].clone());
        }
    };
    if tokio::time::timeout(Duration::from_secs(10), all)
        .await
        .is_err()
    {
        panic!("{} of {count} messages within 10 s: {got:?}", got.len());
    }
    got
}

fn numbers(range: std::ops::RangeInclusive<u64>) -> Vec<Json> {
    range.map(|n| json!(n)).collect()
}

#[tokio::test]
async fn sdk_entries_single_and_batched_are_delivered_once_and_removed() {
    let redis = RedisServer::start().await;
    let server = start(node(&redis)).await;
    let mut client = subscribed(&server, "s").await;
    xadd(&redis, &publication("s", 1).to_string()).await;
    xadd(
        &redis,
        &json!([
            publication("s", 2),
            publication("other", 0),
            publication("s", 3)
        ])
        .to_string(),
    )
    .await;
    assert_eq!(messages(&mut client, 3).await, numbers(1..=3));
    client.expect_silence(QUIET).await;
    assert_stream_emptied(&redis).await;
    let stats = server.stats().redis.expect("Redis is used");
    assert!(stats.connected);
    assert_eq!((stats.reclaimed, stats.invalid), (0, 0));
}

#[tokio::test]
async fn the_group_is_created_and_recreated_after_a_redis_restart() {
    let mut redis = RedisServer::start().await;
    let port = redis.port;
    let server = start(node(&redis)).await;
    let mut client = subscribed(&server, "s").await;
    xadd(&redis, &publication("s", 1).to_string()).await;
    assert_eq!(messages(&mut client, 1).await, numbers(1..=1));

    // Deleted under a running node: the next read finds no group and creates it again.
    redis.command(&["XGROUP", "DESTROY", STREAM, "bx"]).await;
    xadd(&redis, &publication("s", 2).to_string()).await;
    assert_eq!(messages(&mut client, 1).await, numbers(2..=2));

    // A restart loses everything; entries added before the node is back are still read, since
    // the group is created from the stream's start.
    redis.stop();
    tokio::time::timeout(WAIT, async {
        while server.stats().redis.unwrap().connected {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the outage is noticed");
    let redis = RedisServer::start_on(port).await;
    xadd(&redis, &publication("s", 3).to_string()).await;
    xadd(&redis, &publication("s", 4).to_string()).await;
    assert_eq!(messages(&mut client, 2).await, numbers(3..=4));
    assert!(server.stats().redis.unwrap().connected);
    assert_stream_emptied(&redis).await;
}

#[tokio::test]
async fn a_lapsed_holders_pending_entries_are_taken_over_in_order() {
    let redis = RedisServer::start().await;
    redis
        .command(&["XGROUP", "CREATE", STREAM, "bx", "0", "MKSTREAM"])
        .await;
    // Another reader holds the lease, reads three entries and dies without acknowledging them.
    redis.command(&["SET", LEASE, "gone", "PX", "1500"]).await;
    for n in 1..=3 {
        xadd(&redis, &publication("s", n).to_string()).await;
    }
    let read = redis
        .command(&[
            "XREADGROUP",
            "GROUP",
            "bx",
            "gone",
            "COUNT",
            "10",
            "STREAMS",
            STREAM,
            ">",
        ])
        .await;
    assert_ne!(read, Value::Nil);
    let server = start(node(&redis)).await;
    let mut client = subscribed(&server, "s").await;
    xadd(&redis, &publication("s", 4).to_string()).await;
    client.expect_silence(QUIET).await;
    assert_eq!(
        redis.command(&["GET", LEASE]).await,
        Value::BulkString(b"gone".to_vec()),
        "nothing is read while another node holds the lease"
    );

    assert_eq!(messages(&mut client, 4).await, numbers(1..=4));
    client.expect_silence(QUIET).await;
    assert_stream_emptied(&redis).await;
    assert_eq!(server.stats().redis.unwrap().reclaimed, 3);
}

#[tokio::test]
async fn invalid_entries_are_acknowledged_and_dropped() {
    let redis = RedisServer::start().await;
    let server = start(node(&redis)).await;
    let mut client = subscribed(&server, "s").await;
    xadd(&redis, "not json").await;
    redis
        .command(&[
            "XADD",
            STREAM,
            "*",
            "data",
            &publication("s", 0).to_string(),
        ])
        .await;
    xadd(&redis, r#"{"stream":"s","data":42}"#).await;
    xadd(&redis, &publication("s", 1).to_string()).await;
    assert_eq!(messages(&mut client, 1).await, numbers(1..=1));
    client.expect_silence(QUIET).await;
    assert_stream_emptied(&redis).await;
    assert_eq!(server.stats().redis.unwrap().invalid, 3);
}

#[tokio::test]
async fn one_node_takes_each_entry_and_only_the_lease_holder_reads() {
    let redis = RedisServer::start().await;
    let nodes = [start(node(&redis)).await, start(node(&redis)).await];
    let mut clients = [
        subscribed(&nodes[0], "s").await,
        subscribed(&nodes[1], "s").await,
    ];
    until_lease_taken(&redis).await;
    for n in 1..=20 {
        xadd(&redis, &publication("s", n).to_string()).await;
    }
    let mut got = Vec::new();
    for client in &mut clients {
        while let Ok(frame) = tokio::time::timeout(Duration::from_secs(2), client.next_json()).await
        {
            got.push(frame["message"].clone());
        }
    }
    assert_eq!(got, numbers(1..=20), "each entry once, from one node");
    assert_eq!(consumers(&redis).await, 1);
}

/// How many consumers the group has.
async fn consumers(redis: &RedisServer) -> usize {
    match redis.command(&["XINFO", "CONSUMERS", STREAM, "bx"]).await {
        Value::Array(consumers) => consumers.len(),
        other => panic!("XINFO CONSUMERS gave {other:?}"),
    }
}

#[tokio::test]
async fn with_pubsub_every_nodes_clients_get_each_entry_once_in_order() {
    let redis = RedisServer::start().await;
    let nodes = [
        start(with_pubsub(&redis)).await,
        start(with_pubsub(&redis)).await,
    ];
    let mut clients = [
        subscribed(&nodes[0], "s").await,
        subscribed(&nodes[1], "s").await,
    ];
    for n in 1..=20 {
        xadd(&redis, &publication("s", n).to_string()).await;
    }
    for client in &mut clients {
        assert_eq!(messages(client, 20).await, numbers(1..=20));
        client.expect_silence(QUIET).await;
    }
}

#[tokio::test]
async fn shutdown_releases_the_lease_and_removes_the_consumer() {
    let redis = RedisServer::start().await;
    let first = start(node(&redis)).await;
    let mut client = subscribed(&first, "s").await;
    xadd(&redis, &publication("s", 0).to_string()).await;
    assert_eq!(messages(&mut client, 1).await, numbers(0..=0));
    assert_eq!(consumers(&redis).await, 1);
    first.shutdown().await;
    assert_eq!(redis.command(&["GET", LEASE]).await, Value::Nil);
    assert_eq!(consumers(&redis).await, 0, "nothing was pending");
    let second = start(node(&redis)).await;
    let mut client = subscribed(&second, "s").await;
    xadd(&redis, &publication("s", 1).to_string()).await;
    assert_eq!(messages(&mut client, 1).await, numbers(1..=1));
}

#[tokio::test]
async fn a_stalled_redis_is_noticed_and_reading_resumes_in_order_after_it() {
    let redis = RedisServer::start().await;
    let server = start(node(&redis)).await;
    let mut client = subscribed(&server, "s").await;
    xadd(&redis, &publication("s", 1).to_string()).await;
    assert_eq!(messages(&mut client, 1).await, numbers(1..=1));

    redis.pause();
    tokio::time::timeout(Duration::from_secs(6), async {
        while server.stats().redis.unwrap().connected {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the stall is noticed within 3 s (6 s on a busy machine)");
    redis.resume();
    for n in 2..=4 {
        xadd(&redis, &publication("s", n).to_string()).await;
    }
    assert_eq!(messages(&mut client, 3).await, numbers(2..=4));
    client.expect_silence(QUIET).await;
    assert!(server.stats().redis.unwrap().connected);
    assert_stream_emptied(&redis).await;
}

fn with_the_redis_broker(redis: &RedisServer) -> Config {
    Config {
        broker: "redis".into(),
        ..node(redis)
    }
}

/// The `(epoch, offset)` and message of the next `count` frames.
async fn positioned(client: &mut Client, count: usize) -> Vec<(Json, u64, Json)> {
    let mut got = Vec::new();
    let all = async {
        for _ in 0..count {
            let frame = client.next_json().await;
            let offset = frame["offset"]
                .as_u64()
                .expect("a registered frame has an offset");
            got.push((frame["epoch"].clone(), offset, frame["message"].clone()));
        }
    };
    if tokio::time::timeout(Duration::from_secs(10), all)
        .await
        .is_err()
    {
        panic!("{} of {count} frames within 10 s: {got:?}", got.len());
    }
    got
}

/// The frames carry `numbered` in order, each with the next offset: one registration per entry.
fn assert_numbered_with_consecutive_offsets(
    frames: &[(Json, u64, Json)],
    numbered: std::ops::RangeInclusive<u64>,
) {
    let messages: Vec<Json> = frames.iter().map(|(_, _, m)| m.clone()).collect();
    assert_eq!(messages, numbers(numbered));
    let first = frames[0].1;
    let offsets: Vec<u64> = frames.iter().map(|(_, offset, _)| *offset).collect();
    let consecutive: Vec<u64> = (first..first + frames.len() as u64).collect();
    assert_eq!(offsets, consecutive, "one offset each");
}

#[tokio::test]
async fn with_the_redis_broker_each_entry_is_registered_once_and_every_node_delivers_it() {
    let redis = RedisServer::start().await;
    let nodes = [
        start(with_the_redis_broker(&redis)).await,
        start(with_the_redis_broker(&redis)).await,
    ];
    let mut clients = [
        subscribed(&nodes[0], "s").await,
        subscribed(&nodes[1], "s").await,
    ];
    for n in 1..=10 {
        xadd(&redis, &publication("s", n).to_string()).await;
    }
    let batch: Vec<Json> = (11..=20).map(|n| publication("s", n)).collect();
    xadd(&redis, &Json::Array(batch).to_string()).await;

    let mut seen = Vec::new();
    for client in &mut clients {
        let frames = positioned(client, 20).await;
        client.expect_silence(QUIET).await;
        assert_numbered_with_consecutive_offsets(&frames, 1..=20);
        seen.push(frames);
    }
    assert_eq!(
        seen[0], seen[1],
        "both nodes deliver the same epoch and offsets"
    );
    assert_stream_emptied(&redis).await;
    let latest = redis.command(&["HGET", "$acrs:o:s", "n"]).await;
    assert_eq!(
        latest,
        Value::BulkString(seen[0][19].1.to_string().into_bytes()),
        "registered once: no offsets beyond the twenty delivered"
    );
}

#[tokio::test]
async fn with_the_redis_broker_a_lapsed_holders_pending_entries_are_registered_once_in_order() {
    let redis = RedisServer::start().await;
    redis
        .command(&["XGROUP", "CREATE", STREAM, "bx", "0", "MKSTREAM"])
        .await;
    redis.command(&["SET", LEASE, "gone", "PX", "1500"]).await;
    for n in 1..=3 {
        xadd(&redis, &publication("s", n).to_string()).await;
    }
    redis
        .command(&[
            "XREADGROUP",
            "GROUP",
            "bx",
            "gone",
            "COUNT",
            "10",
            "STREAMS",
            STREAM,
            ">",
        ])
        .await;
    let server = start(with_the_redis_broker(&redis)).await;
    let mut client = subscribed(&server, "s").await;
    xadd(&redis, &publication("s", 4).to_string()).await;

    let frames = positioned(&mut client, 4).await;
    client.expect_silence(QUIET).await;
    assert_numbered_with_consecutive_offsets(&frames, 1..=4);
    assert_stream_emptied(&redis).await;
    assert_eq!(server.stats().redis.unwrap().reclaimed, 3);
}
