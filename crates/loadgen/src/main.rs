//! Drives a cable server the way AnyCable clients do, from Rust so the client side is not the
//! bottleneck. Scenarios: N clients connect with a JWT (sub-protocol) and subscribe to one signed
//! stream, then a publisher POSTs timestamped broadcasts (`fan-out`); the same clients drop and
//! reconnect with their session ids (`restore`); many streams filled with broadcasts for their
//! history (`history`). Prints one JSON object of measurements.

// Every `unsafe` block says why it holds.
#![deny(clippy::undocumented_unsafe_blocks)]

mod arrival;
mod avalanche;
mod client;
mod fan_out;
mod history;
mod publisher;
mod receipts;
mod restore;
mod stats;

use std::net::IpAddr;
use std::sync::Arc;

use anycable_core::{Algorithm, Identificator, StreamSigner, Ttl};
use clap::Parser;
use serde_json::json;

use client::{Protocol, Target};

/// What to measure.
#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
enum Scenario {
    /// Connect avalanche, idle memory per connection, broadcast fan-out latency
    FanOut,
    /// Connect avalanche, every client dropped, every client reconnecting with `?sid=`
    Restore,
    /// Server memory for the history of many streams, filled by broadcasts
    History,
}

#[derive(Parser, Debug)]
#[command(about = "Load generator for AnyCable-compatible servers")]
struct Args {
    #[arg(long, value_enum, default_value_t = Scenario::FanOut)]
    scenario: Scenario,
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
    /// Connections in flight at once during an avalanche
    #[arg(long, default_value_t = 500)]
    concurrency: usize,
    /// Broadcasts to send after everyone is subscribed
    #[arg(long, default_value_t = 20)]
    messages: usize,
    #[arg(long, default_value_t = 200)]
    interval_ms: u64,
    /// Restore: the pause between every client dropping and every client reconnecting
    #[arg(long, default_value_t = 1000)]
    restore_after_ms: u64,
    /// History: streams to fill
    #[arg(long, default_value_t = 10_000)]
    history_streams: usize,
    /// History: messages broadcast to each stream
    #[arg(long, default_value_t = 100)]
    history_messages: usize,
    /// History: size of each message's JSON, in bytes
    #[arg(long, default_value_t = 200)]
    message_bytes: usize,
    /// Server process to read VmRSS and CPU time from
    #[arg(long)]
    server_pid: Option<u32>,
    /// Local addresses to connect from, comma-separated (more source ports)
    #[arg(long, value_delimiter = ',')]
    source: Vec<IpAddr>,
}

impl Args {
    /// The local address client `n` connects from, spread over `--source`.
    fn source_for(&self, n: usize) -> Option<IpAddr> {
        (!self.source.is_empty()).then(|| self.source[n % self.source.len()])
    }
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
    let report = match args.scenario {
        Scenario::FanOut => fan_out::run(&args, &target).await,
        Scenario::Restore => restore::run(&args, &target).await,
        Scenario::History => history::run(&args).await,
    };
    println!("{report}");
}
