use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::receipts::now_micros;

/// POSTs `count` timestamped ~200-byte broadcasts to an AnyCable HTTP broadcast endpoint, one every
/// `interval`; returns how many were accepted (HTTP 2xx).
pub async fn send(url: &str, key: &str, count: usize, interval: Duration) -> usize {
    let mut accepted = 0;
    for n in 0..count {
        let data = json!({"n": n, "t": now_micros(), "pad": "x".repeat(160)}).to_string();
        let body = json!({"stream": "bench", "data": data}).to_string();
        if post(url, key, &body).await {
            accepted += 1;
        }
        tokio::time::sleep(interval).await;
    }
    accepted
}

/// POSTs one JSON body (a publication or an array of them) with the broadcast key; true on 2xx.
pub async fn post(url: &str, key: &str, body: &str) -> bool {
    let Some((address, path)) = url
        .strip_prefix("http://")
        .and_then(|rest| rest.split_once('/'))
    else {
        eprintln!("broadcast URL must be http://host:port/path");
        return false;
    };
    let request = format!(
        "POST /{path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let Ok(mut stream) = TcpStream::connect(address).await else {
        return false;
    };
    if stream.write_all(request.as_bytes()).await.is_err() {
        return false;
    }
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    response.starts_with(b"HTTP/1.1 2")
}
