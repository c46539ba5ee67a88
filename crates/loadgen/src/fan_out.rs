//! The standard scenario: a connect avalanche, the server's idle memory per connection, then
//! timestamped broadcasts fanned out to every client.

use std::sync::Arc;
use std::time::Duration;

use anycable_core::broadcast_key;
use serde_json::{json, Value};

use crate::client::{self, Target};
use crate::{avalanche, publisher, receipts, stats, Args};

pub async fn run(args: &Args, target: &Arc<Target>) -> Value {
    let rss_before = args.server_pid.and_then(stats::rss_kib);
    let outcome = avalanche::run(args.clients, args.concurrency, |n| {
        let target = Arc::clone(target);
        let source = args.source_for(n);
        async move { client::connect(&target, source).await }
    })
    .await;
    let (connect_ms, connect_all_ms) = avalanche::timings(&outcome.finished);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after = args.server_pid.and_then(stats::rss_kib);
    let connected = outcome.finished.len();

    let receipts = receipts::listen_all(outcome.finished.into_iter().map(|f| f.value.ws).collect());
    let server_cpu_before = args.server_pid.and_then(stats::cpu_ms);
    let own_cpu_before = stats::cpu_ms(std::process::id());
    let key = broadcast_key(args.secret.as_bytes());
    let sent = publisher::send(
        &args.broadcast_url,
        &key,
        args.messages,
        Duration::from_millis(args.interval_ms),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let latencies = receipts.collect();
    // CPU per broadcast while fanning out (and idling the second after), server and generator.
    let cpu_per_broadcast = |before: Option<f64>, after: Option<f64>| match (before, after) {
        (Some(before), Some(after)) if sent > 0 => json!((after - before) / sent as f64),
        _ => json!(null),
    };
    let server_cpu = cpu_per_broadcast(server_cpu_before, args.server_pid.and_then(stats::cpu_ms));
    let own_cpu = cpu_per_broadcast(own_cpu_before, stats::cpu_ms(std::process::id()));

    json!({
        "clients": args.clients,
        "connected": connected,
        "connect_failures": outcome.failures,
        "connect_ms": connect_ms,
        "connect_all_ms": connect_all_ms,
        "idle_kib_per_connection": match (rss_before, rss_after) {
            (Some(before), Some(after)) if connected > 0 => json!((after as f64 - before as f64) / connected as f64),
            _ => json!(null),
        },
        "broadcasts_sent": sent,
        "delivered": latencies.arrival.len(),
        "expected": sent * connected,
        "delivered_with_offset": latencies.with_offset,
        "offsets_out_of_order": latencies.offsets_out_of_order,
        "broadcast_ms": stats::Summary::of(&latencies.arrival),
        "broadcast_read_ms": stats::Summary::of(&latencies.read),
        "server_cpu_ms_per_broadcast": server_cpu,
        "generator_cpu_ms_per_broadcast": own_cpu,
    })
}
