//! Several nodes on one Redis: the broadcast adapter and pub/sub, exactly once, surviving Redis
//! stalling (SIGSTOP), going away (SIGKILL) and coming back.

mod support;

use std::time::Duration;

use anycable_core::{CableServer, Config, Publication};
use anycable_core::{RedisStats, QUEUE_CAPACITY};
use serde_json::{json, Value};
use support::*;

const QUIET: Duration = Duration::from_millis(300);

fn node(redis: &RedisServer) -> Config {
    Config {
        redis_url: Some(redis.url()),
        broadcast_adapter: "redis".into(),
        pubsub: "redis".into(),
        ..config()
    }
}

#[tokio::test]
async fn broadcasts_from_every_entry_point_reach_every_node_exactly_once() {
    let redis = RedisServer::start().await;
    let nodes = [
        start(node(&redis)).await,
        start(node(&redis)).await,
        start(node(&redis)).await,
    ];
    let mut clients = Vec::new();
    for server in &nodes {
        clients.push(subscribed(server, "news").await);
    }
    nodes[0].publish(Publication::new("news", r#"{"from":"node0"}"#.into()).unwrap());
    let auth = format!("Bearer {}", anycable_core::broadcast_key(SECRET.as_bytes()));
    let body = json!({"stream": "news", "data": "{\"from\":\"http1\"}"}).to_string();
    assert_eq!(
        http(
            &nodes[1],
            "POST",
            "/_broadcast",
            &[("Authorization", &auth)],
            &body
        )
        .await
        .0,
        201
    );
    let receivers = redis
        .publish(
            "__anycable__",
            &json!({"stream": "news", "data": "{\"from\":\"redis\"}"}).to_string(),
        )
        .await;
    assert_eq!(receivers, 3, "one subscription connection per node");

    for client in &mut clients {
        let mut got = Vec::new();
        for _ in 0..3 {
            got.push(
                client.next_json().await["message"]["from"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        got.sort();
        assert_eq!(got, ["http1", "node0", "redis"]);
        client.expect_silence(QUIET).await;
    }
}

#[tokio::test]
async fn one_publisher_is_delivered_in_order() {
    let redis = RedisServer::start().await;
    let (a, b) = (start(node(&redis)).await, start(node(&redis)).await);
    let mut far = subscribed(&b, "seq").await;
    for n in 0..50 {
        a.publish(Publication::new("seq", n.to_string()).unwrap());
    }
    for n in 0..50 {
        assert_eq!(far.next_json().await["message"], n);
    }
}

#[tokio::test]
async fn the_adapter_alone_takes_redis_publications_but_keeps_local_broadcasts_local() {
    let redis = RedisServer::start().await;
    let adapter_only = Config {
        pubsub: "none".into(),
        ..node(&redis)
    };
    let (a, b) = (start(adapter_only.clone()).await, start(adapter_only).await);
    let (mut on_a, mut on_b) = (subscribed(&a, "s").await, subscribed(&b, "s").await);
    redis
        .publish(
            "__anycable__",
            &json!([{"stream": "s", "data": "1"}, {"stream": "s", "data": "2"}]).to_string(),
        )
        .await;
    for client in [&mut on_a, &mut on_b] {
        assert_eq!(client.next_json().await["message"], 1);
        assert_eq!(client.next_json().await["message"], 2);
    }
    a.publish(Publication::new("s", "3".into()).unwrap());
    assert_eq!(on_a.next_json().await["message"], 3);
    on_b.expect_silence(QUIET).await;
}

/// How soon a node's own broadcast must reach its own clients, whatever Redis is doing.
const LOCAL_BOUND: Duration = Duration::from_millis(1500);

/// Publishes 50 numbered broadcasts on `node` and expects all of them at `client` (on the same
/// node), in order, within [`LOCAL_BOUND`].
async fn fifty_arrive_at_once(node: &CableServer, client: &mut Client) {
    let sent = tokio::time::Instant::now();
    for n in 0..50 {
        node.publish(Publication::new("s", n.to_string()).unwrap());
    }
    for n in 0..50 {
        let frame = tokio::time::timeout_at(sent + LOCAL_BOUND, client.next_json())
            .await
            .unwrap_or_else(|_| panic!("only {n} of 50 local broadcasts within 1.5 s"));
        assert_eq!(frame["message"], n);
    }
}

/// Publishes probes on `from` until `to` (on another node) receives one; returns the probes sent
/// and everything `to` received meanwhile.
async fn cross_node_again(from: &CableServer, to: &mut Client) -> (Vec<Value>, Vec<Value>) {
    let (mut probes, mut received) = (Vec::new(), Vec::new());
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let probe = json!(format!("probe {}", probes.len()));
            from.publish(Publication::new("s", probe.to_string()).unwrap());
            probes.push(probe);
            while let Ok(frame) =
                tokio::time::timeout(Duration::from_millis(300), to.next_json()).await
            {
                received.push(frame["message"].clone());
                if frame["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("probe"))
                {
                    return;
                }
            }
        }
    })
    .await
    .expect("cross-node delivery resumes without restarting the nodes");
    (probes, received)
}

/// Every broadcast `client` receives until it has been quiet for 2 s.
async fn the_rest(client: &mut Client) -> Vec<Value> {
    let mut received = Vec::new();
    while let Ok(frame) = tokio::time::timeout(Duration::from_secs(2), client.next_json()).await {
        received.push(frame["message"].clone());
    }
    received
}

/// Waits (up to `within`) until `stats()` says Redis is connected or not, as `connected`.
async fn until_redis_connected(server: &CableServer, connected: bool, within: Duration) {
    tokio::time::timeout(within, async {
        while server.stats().redis.expect("Redis is configured").connected != connected {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("stats().redis.connected is not {connected} within {within:?}"));
}

fn assert_no_repeats(received: &[Value]) {
    let mut seen = std::collections::HashSet::new();
    for message in received {
        assert!(seen.insert(message.to_string()), "{message} arrived twice");
    }
}

#[tokio::test]
async fn a_stalled_redis_delays_no_local_broadcast_repeats_none_and_is_recovered_from() {
    let redis = RedisServer::start().await;
    let (a, b) = (start(node(&redis)).await, start(node(&redis)).await);
    let (mut on_a, mut on_b) = (subscribed(&a, "s").await, subscribed(&b, "s").await);

    redis.pause();
    fifty_arrive_at_once(&a, &mut on_a).await;
    // Noticed within 3 s (a ping or a publish unanswered); 6 s leaves room for a busy machine.
    until_redis_connected(&a, false, Duration::from_secs(6)).await;
    until_redis_connected(&b, false, Duration::from_secs(6)).await;

    redis.resume();
    until_redis_connected(&a, true, Duration::from_secs(10)).await;
    let (probes, mut on_b_received) = cross_node_again(&a, &mut on_b).await;
    assert_eq!(
        the_rest(&mut on_a).await,
        probes,
        "A's client: each probe once, nothing again"
    );
    on_b_received.extend(the_rest(&mut on_b).await);
    assert_no_repeats(&on_b_received);
}

#[tokio::test]
async fn a_killed_redis_delays_no_local_broadcast_and_a_new_one_on_the_same_port_is_used() {
    let mut redis = RedisServer::start().await;
    let port = redis.port;
    let (a, b) = (start(node(&redis)).await, start(node(&redis)).await);
    let (mut on_a, mut on_b) = (subscribed(&a, "s").await, subscribed(&b, "s").await);

    redis.stop();
    fifty_arrive_at_once(&a, &mut on_a).await;
    on_b.expect_silence(QUIET).await;
    until_redis_connected(&a, false, Duration::from_secs(6)).await;
    assert!(
        a.stats().redis.unwrap().dropped > 0,
        "what Redis lost is counted"
    );

    let _redis = RedisServer::start_on(port).await;
    until_redis_connected(&a, true, Duration::from_secs(10)).await;
    let (probes, mut on_b_received) = cross_node_again(&a, &mut on_b).await;
    assert_eq!(
        the_rest(&mut on_a).await,
        probes,
        "A's client: each probe once, nothing again"
    );
    on_b_received.extend(the_rest(&mut on_b).await);
    assert_no_repeats(&on_b_received);
    // And the other way round: B's broadcasts reach A.
    let (_, on_a_received) = cross_node_again(&b, &mut on_a).await;
    assert_no_repeats(&on_a_received);
}

#[tokio::test]
async fn a_stalled_redis_fills_the_bounded_queue_and_the_overflow_is_counted() {
    let redis = RedisServer::start().await;
    let a = start(node(&redis)).await;
    let mut on_a = subscribed(&a, "s").await;
    assert_eq!(
        a.stats().redis,
        Some(RedisStats {
            connected: true,
            dropped: 0,
            refused: 0,
            reclaimed: 0,
            invalid: 0,
        })
    );

    redis.pause();
    let published = 15_000;
    for n in 0..published {
        a.publish(Publication::new("nobody", n.to_string()).unwrap());
    }
    // One batch (at most 256) may be in flight; the queue holds the next 10,000.
    let dropped = a.stats().redis.unwrap().dropped;
    assert!(
        dropped >= published - QUEUE_CAPACITY as u64 - 256,
        "dropped {dropped}"
    );
    // Local delivery is not held up behind the full queue.
    a.publish(Publication::new("s", "1".into()).unwrap());
    assert_eq!(on_a.next_json().await["message"], 1);
    redis.resume();
}

#[tokio::test]
async fn an_unreachable_redis_fails_the_start_clearly() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = Config {
        redis_url: Some(format!("redis://:secretpw@127.0.0.1:{port}")),
        ..Config {
            pubsub: "redis".into(),
            ..config()
        }
    };
    let error = CableServer::start(config)
        .await
        .err()
        .expect("start fails")
        .to_string();
    assert!(error.contains("cannot reach Redis"), "{error}");
    assert!(!error.contains("secretpw"), "{error}");
}

#[tokio::test]
async fn a_stalled_redis_at_start_fails_it_within_seconds_instead_of_hanging() {
    let redis = RedisServer::start().await;
    redis.pause();
    let config = Config {
        redis_url: Some(format!("redis://:secretpw@127.0.0.1:{}", redis.port)),
        ..node(&redis)
    };
    let error = tokio::time::timeout(Duration::from_secs(10), CableServer::start(config))
        .await
        .expect("start gives up on a Redis that does not answer")
        .err()
        .expect("start fails")
        .to_string();
    assert!(error.contains("cannot reach Redis"), "{error}");
    assert!(error.contains("no reply within 2 s"), "{error}");
    assert!(!error.contains("secretpw"), "{error}");
}

/// Every entry point registers its broadcasts with this node's broker before fan-out: the Redis
/// adapter's, another node's through pub/sub, and the node's own (one history per node until the
/// cluster broker). A transient publication gets no position on any node.
#[tokio::test]
async fn broadcasts_through_redis_get_each_nodes_offsets_and_transient_ones_none() {
    let redis = RedisServer::start().await;
    let nodes = [start(node(&redis)).await, start(node(&redis)).await];
    let mut clients = Vec::new();
    for server in &nodes {
        clients.push(subscribed(server, "kept").await);
    }
    nodes[0].publish(Publication::new("kept", "1".into()).unwrap());
    for client in &mut clients {
        assert_eq!(client.next_json().await["offset"], 1);
    }
    redis
        .publish("__anycable__", r#"{"stream":"kept","data":"2"}"#)
        .await;
    for client in &mut clients {
        let frame = client.next_json().await;
        assert_eq!(
            (frame["message"].clone(), frame["offset"].clone()),
            (json!(2), json!(2))
        );
    }
    redis
        .publish(
            "__anycable__",
            r#"{"stream":"kept","data":"3","meta":{"transient":true}}"#,
        )
        .await;
    for client in &mut clients {
        let frame = client.next_json().await;
        assert_eq!(frame["message"], 3);
        assert!(frame.get("offset").is_none(), "{frame}");
    }
}
