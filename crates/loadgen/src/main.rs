//! Drives a cable server the way AnyCable clients do, from Rust so the client side is not the
//! bottleneck: N clients connect with a JWT (sub-protocol) and subscribe to one signed stream,
//! then a publisher POSTs timestamped broadcasts. Prints one JSON object of measurements.

// Every `unsafe` block says why it holds.
#![deny(clippy::undocumented_unsafe_blocks)]

mod arrival;
mod client;
mod publisher;
mod stats;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anycable_core::{broadcast_key, Algorithm, Identificator, StreamSigner, Ttl};
use clap::Parser;
use serde_json::json;
use tokio::sync::Semaphore;

use client::{Connected, Protocol, Target};
use stats::Summary;

#[derive(Parser, Debug)]
#[command(about = "Load generator for AnyCable-compatible servers")]
struct Args {
    /// WebSocket URL, such as ws://127.0.0.1:8080/cable or ws://…/socket.io/?EIO=4&transport=websocket
    #[arg(long)]
    url: String,
    #[arg(long, value_enum, default_value_t = Protocol::Cable)]
    protocol: Protocol,
    /// HTTP broadcast URL, such as http://127.0.0.1:8080/_broadcast
    #[arg(long)]
    broadcast_url: String,
    /// The server's secret (tokens, signed stream, broadcast key)
    #[arg(long)]
    secret: String,
    #[arg(long, default_value_t = 1000)]
    clients: usize,
    /// Connections in flight at once during the avalanche
    #[arg(long, default_value_t = 500)]
    concurrency: usize,
    /// Broadcasts to send after everyone is subscribed
    #[arg(long, default_value_t = 20)]
    messages: usize,
    #[arg(long, default_value_t = 200)]
    interval_ms: u64,
    /// Server process to read VmRSS from (idle memory per connection)
    #[arg(long)]
    server_pid: Option<u32>,
    /// Local addresses to connect from, comma-separated (more source ports)
    #[arg(long, value_delimiter = ',')]
    source: Vec<IpAddr>,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let identificator = Identificator::new(
        args.secret.as_bytes(),
        Ttl::from_seconds(3600.0).expect("ttl"),
        Algorithm::HS256,
    )
    .expect("a non-empty secret");
    let signer = StreamSigner::new(args.secret.as_bytes()).expect("a non-empty secret");
    let signed_stream = signer.sign("bench");
    let target = Arc::new(Target {
        protocol: args.protocol,
        url: args.url.clone(),
        token: identificator.generate(r#"{"bench":true}"#),
        identifier: json!({"channel": "$pubsub", "signed_stream_name": signed_stream}).to_string(),
        signed_stream,
    });

    let rss_before = args.server_pid.and_then(stats::rss_kib);
    let (clients, connect) = avalanche(&args, &target).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after = args.server_pid.and_then(stats::rss_kib);

    let receipts = client::listen_all(clients);
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
    let connected = connect.samples.len();
    // CPU per broadcast while fanning out (and idling the second after), server and generator.
    let cpu_per_broadcast = |before: Option<f64>, after: Option<f64>| match (before, after) {
        (Some(before), Some(after)) if sent > 0 => json!((after - before) / sent as f64),
        _ => json!(null),
    };
    let server_cpu = cpu_per_broadcast(server_cpu_before, args.server_pid.and_then(stats::cpu_ms));
    let own_cpu = cpu_per_broadcast(own_cpu_before, stats::cpu_ms(std::process::id()));

    let report = json!({
        "clients": args.clients,
        "connected": connected,
        "connect_failures": connect.failures,
        "connect_ms": Summary::of(&connect.samples),
        "idle_kib_per_connection": match (rss_before, rss_after) {
            (Some(before), Some(after)) if connected > 0 => json!((after as f64 - before as f64) / connected as f64),
            _ => json!(null),
        },
        "broadcasts_sent": sent,
        "delivered": latencies.arrival.len(),
        "expected": sent * connected,
        "broadcast_ms": Summary::of(&latencies.arrival),
        "broadcast_read_ms": Summary::of(&latencies.read),
        "server_cpu_ms_per_broadcast": server_cpu,
        "generator_cpu_ms_per_broadcast": own_cpu,
    });
    println!("{report}");
}

struct ConnectResults {
    samples: Vec<f64>,
    failures: usize,
}

/// Opens every client at once (bounded by `concurrency`); times TCP connect -> confirmation.
async fn avalanche(args: &Args, target: &Arc<Target>) -> (Vec<Connected>, ConnectResults) {
    let permits = Arc::new(Semaphore::new(args.concurrency));
    let tasks: Vec<_> = (0..args.clients)
        .map(|n| {
            let target = Arc::clone(target);
            let permits = Arc::clone(&permits);
            let source = (!args.source.is_empty()).then(|| args.source[n % args.source.len()]);
            tokio::spawn(async move {
                let _permit = permits.acquire_owned().await.expect("open semaphore");
                let started = Instant::now();
                let connected = client::connect(&target, source).await?;
                Ok::<_, String>((connected, started.elapsed().as_secs_f64() * 1000.0))
            })
        })
        .collect();
    let mut clients = Vec::with_capacity(args.clients);
    let mut results = ConnectResults {
        samples: Vec::with_capacity(args.clients),
        failures: 0,
    };
    for task in tasks {
        match task.await {
            Ok(Ok((connected, ms))) => {
                clients.push(connected);
                results.samples.push(ms);
            }
            _ => results.failures += 1,
        }
    }
    (clients, results)
}
