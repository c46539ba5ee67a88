//! A generator client's way in: the WebSocket upgrade with `actioncable-v1-json`, a welcome, its
//! `$pubsub` subscribe command and the confirmation. The token is not checked: the floor measures
//! the broadcasts, and the generator reads no CPU while clients connect.

use std::io::{self, Write};
use std::net::TcpStream;

use anycable_core::StreamSigner;
use serde::Deserialize;
use serde_json::json;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use crate::frame;
use crate::http::Request;

const SUBPROTOCOL: &str = "actioncable-v1-json";

/// A confirmed subscription: the stream it follows and the identifier its client sent.
pub struct Subscription {
    pub stream: String,
    pub identifier: String,
}

#[derive(Deserialize)]
struct Command {
    command: String,
    identifier: String,
}

#[derive(Deserialize)]
struct PubSubIdentifier {
    signed_stream_name: String,
}

/// Upgrades `socket` (whose upgrade `request` was read), welcomes it with session id `sid`, reads
/// its subscribe command and confirms it.
pub fn subscribe(
    socket: &mut TcpStream,
    request: &Request,
    signer: &StreamSigner,
    sid: u64,
) -> io::Result<Subscription> {
    let key = request
        .header("sec-websocket-key")
        .ok_or_else(|| invalid("upgrade without Sec-WebSocket-Key".into()))?;
    let offered = request.header("sec-websocket-protocol").unwrap_or_default();
    if !offered.split(',').any(|p| p.trim() == SUBPROTOCOL) {
        socket.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")?;
        return Err(invalid(format!("{SUBPROTOCOL} not offered")));
    }
    let accept = derive_accept_key(key.as_bytes());
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: {SUBPROTOCOL}\r\n\r\n"
    );
    socket.write_all(response.as_bytes())?;
    let welcome = json!({"type": "welcome", "sid": sid.to_string()}).to_string();
    socket.write_all(&frame::text(welcome.as_bytes()))?;

    let command: Command = serde_json::from_slice(&frame::read_client_text(socket)?)
        .map_err(|e| invalid(format!("not a command: {e}")))?;
    if command.command != "subscribe" {
        return Err(invalid(format!(
            "expected subscribe, got {}",
            command.command
        )));
    }
    let stream = serde_json::from_str::<PubSubIdentifier>(&command.identifier)
        .ok()
        .and_then(|id| signer.verify(&id.signed_stream_name))
        .ok_or_else(|| invalid(format!("no valid signed stream in {}", command.identifier)))?;
    let confirm =
        json!({"identifier": command.identifier, "type": "confirm_subscription"}).to_string();
    socket.write_all(&frame::text(confirm.as_bytes()))?;
    Ok(Subscription {
        stream,
        identifier: command.identifier,
    })
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}
