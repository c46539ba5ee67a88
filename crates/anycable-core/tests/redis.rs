//! Several nodes on one Redis: the broadcast adapter and pub/sub, exactly once, surviving Redis
//! going away and coming back.

mod support;

use std::time::Duration;

use anycable_core::{CableServer, Config, Publication};
use serde_json::json;
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

async fn subscribed(server: &CableServer, stream: &str) -> Client {
    let mut client = welcomed(server).await;
    assert_eq!(
        client.subscribe(&signed_identifier(stream)).await["type"],
        "confirm_subscription"
    );
    client
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

#[tokio::test]
async fn redis_down_means_local_delivery_then_cross_node_again_once_it_is_back() {
    let mut redis = RedisServer::start().await;
    let port = redis.port;
    let (a, b) = (start(node(&redis)).await, start(node(&redis)).await);
    let (mut on_a, mut on_b) = (subscribed(&a, "s").await, subscribed(&b, "s").await);

    redis.stop();
    tokio::time::sleep(Duration::from_millis(200)).await;
    a.publish(Publication::new("s", r#""while down""#.into()).unwrap());
    assert_eq!(on_a.next_json().await["message"], "while down");
    on_b.expect_silence(QUIET).await;

    let _redis = RedisServer::start_on(port).await;
    tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            b.publish(Publication::new("s", r#""probe""#.into()).unwrap());
            if let Ok(frame) =
                tokio::time::timeout(Duration::from_millis(300), on_a.next_json()).await
            {
                if frame["message"] == "probe" {
                    return;
                }
            }
        }
    })
    .await
    .expect("cross-node delivery resumes");
    // Drain what the probes left, then check a normal broadcast reaches both exactly once.
    tokio::time::sleep(QUIET).await;
    while tokio::time::timeout(Duration::from_millis(50), on_a.next_json())
        .await
        .is_ok()
    {}
    while tokio::time::timeout(Duration::from_millis(50), on_b.next_json())
        .await
        .is_ok()
    {}
    a.publish(Publication::new("s", r#""back""#.into()).unwrap());
    assert_eq!(on_a.next_json().await["message"], "back");
    assert_eq!(on_b.next_json().await["message"], "back");
    on_a.expect_silence(QUIET).await;
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
