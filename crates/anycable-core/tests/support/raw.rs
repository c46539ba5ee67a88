//! A hand-made WebSocket client over a plain TCP stream, for what a well-behaved library will not
//! send: bad handshakes, unmasked frames, invalid close codes.

use anycable_core::CableServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::WAIT;

/// A valid `Sec-WebSocket-Key` (RFC 6455's example).
pub const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// Sends `head` (request line and headers, without the blank line) and returns the stream and
/// the response's status code.
pub async fn request_head(server: &CableServer, head: &str) -> (TcpStream, u16) {
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    stream
        .write_all(format!("{head}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(WAIT, async {
        while !response.ends_with(b"\r\n\r\n") {
            let mut byte = [0];
            assert_eq!(stream.read(&mut byte).await.unwrap(), 1, "response head");
            response.push(byte[0]);
        }
    })
    .await
    .expect("response in time");
    let status = String::from_utf8_lossy(&response)
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status line");
    (stream, status)
}

/// The upgrade request for the cable path, with `extra` header lines.
pub fn upgrade_head(version: &str, key: &str, extra: &str) -> String {
    format!(
        "GET /cable {version}\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}{extra}"
    )
}

/// A frame as a client would send it (`mask` set) or as a broken one might (`mask` unset).
pub fn frame(first_byte: u8, payload: &[u8], mask: bool) -> Vec<u8> {
    let mut bytes = vec![first_byte];
    let mask_bit = if mask { 0x80 } else { 0 };
    match payload.len() {
        len if len < 126 => bytes.push(mask_bit | len as u8),
        len => {
            bytes.push(mask_bit | 126);
            bytes.extend_from_slice(&(len as u16).to_be_bytes());
        }
    }
    if mask {
        let key = [0x12, 0x34, 0x56, 0x78];
        bytes.extend_from_slice(&key);
        bytes.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    } else {
        bytes.extend_from_slice(payload);
    }
    bytes
}

/// A masked Close frame with `code`.
pub fn close_frame(code: u16) -> Vec<u8> {
    frame(0x88, &code.to_be_bytes(), true)
}

/// The next frame from the server: (opcode, payload); `None` if the connection ended first.
pub async fn read_frame(stream: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    tokio::time::timeout(WAIT, async {
        let mut head = [0u8; 2];
        stream.read_exact(&mut head).await.ok()?;
        let len = match head[1] & 0x7f {
            126 => u64::from(stream.read_u16().await.ok()?),
            127 => stream.read_u64().await.ok()?,
            len => u64::from(len),
        };
        let mut payload = vec![0; len as usize];
        stream.read_exact(&mut payload).await.ok()?;
        Some((head[0] & 0x0f, payload))
    })
    .await
    .expect("a frame or the end in time")
}

/// Reads frames until the server's Close; returns its status code (`None`: no status, or no
/// Close frame before the connection ended).
pub async fn close_code(stream: &mut TcpStream) -> Option<u16> {
    while let Some((opcode, payload)) = read_frame(stream).await {
        if opcode == 0x8 {
            return (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]));
        }
    }
    None
}

/// An upgraded connection that has read its welcome (authenticated by `token` in `X-JID`).
pub async fn welcomed_raw(server: &CableServer, token: &str) -> TcpStream {
    let head = upgrade_head("HTTP/1.1", KEY, &format!("\r\nX-JID: {token}"));
    let (mut stream, status) = request_head(server, &head).await;
    assert_eq!(status, 101);
    let (opcode, welcome) = read_frame(&mut stream).await.expect("welcome");
    assert_eq!(opcode, 0x1);
    assert!(String::from_utf8_lossy(&welcome).contains("welcome"));
    stream
}
