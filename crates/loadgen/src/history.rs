//! History memory: fills many streams with broadcasts (nobody subscribed) and reads the server's
//! RSS before and after, for the bytes each kept message costs.

use std::time::{Duration, Instant};

use anycable_core::broadcast_key;
use serde_json::{json, Value};

use crate::{publisher, stats, Args};

/// Publications per POST (a JSON array), well under the server's 16 MiB body limit.
const BATCH: usize = 1000;

pub async fn run(args: &Args) -> Value {
    let key = broadcast_key(args.secret.as_bytes());
    let rss_before = args.server_pid.and_then(stats::rss_kib);
    let began = Instant::now();
    let total = args.history_streams * args.history_messages;
    let mut accepted = 0;
    // Round-robin over the streams, as messages arrive in time across many streams.
    let publications: Vec<(usize, usize)> = (0..args.history_messages)
        .flat_map(|n| (0..args.history_streams).map(move |stream| (stream, n)))
        .collect();
    for batch in publications.chunks(BATCH) {
        let body = batch_body(batch, args.message_bytes);
        if publisher::post(&args.broadcast_url, &key, &body).await {
            accepted += batch.len();
        }
    }
    let fill_ms = began.elapsed().as_secs_f64() * 1000.0;
    // Work the server queued behind the last response (if any) settles before the reading.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after = args.server_pid.and_then(stats::rss_kib);
    json!({
        "streams": args.history_streams,
        "messages_per_stream": args.history_messages,
        "message_bytes": message(0, args.message_bytes).len(),
        "published": total,
        "accepted": accepted,
        "fill_ms": fill_ms,
        "rss_before_kib": rss_before,
        "rss_after_kib": rss_after,
        "bytes_per_published_message": match (rss_before, rss_after) {
            (Some(before), Some(after)) if accepted > 0 => json!((after as f64 - before as f64) * 1024.0 / accepted as f64),
            _ => json!(null),
        },
    })
}

/// A JSON array of publications, `(stream number, message number)` each.
fn batch_body(batch: &[(usize, usize)], bytes: usize) -> String {
    let publications: Vec<Value> = batch
        .iter()
        .map(|&(stream, n)| json!({"stream": format!("history-{stream}"), "data": message(n, bytes)}))
        .collect();
    Value::Array(publications).to_string()
}

/// A JSON message of `bytes` bytes (or the smallest one, when `bytes` is less).
fn message(n: usize, bytes: usize) -> String {
    let bare = json!({"n": n, "pad": ""}).to_string();
    json!({"n": n, "pad": "x".repeat(bytes.saturating_sub(bare.len()))}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_have_the_asked_size() {
        assert_eq!(message(7, 200).len(), 200);
        assert_eq!(message(123_456, 200).len(), 200);
        assert_eq!(message(0, 1), r#"{"n":0,"pad":""}"#);
    }

    #[test]
    fn a_batch_is_an_array_of_publications_with_the_message_as_data() {
        let body: Value = serde_json::from_str(&batch_body(&[(3, 0), (4, 0)], 50)).unwrap();
        let publications = body.as_array().unwrap();
        assert_eq!(publications.len(), 2);
        assert_eq!(publications[1]["stream"], "history-4");
        let data: Value = serde_json::from_str(publications[0]["data"].as_str().unwrap()).unwrap();
        assert_eq!(data["n"], 0);
    }
}
