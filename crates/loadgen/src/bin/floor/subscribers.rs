//! The floor's fan-out: every subscribed socket by stream and identifier, and a broadcast written
//! to each of them with one blocking `write` of the pre-framed bytes. Frames carry the stream
//! position (`stream_id`, `epoch`, `offset`) as anycable-rs's default memory broker adds on either
//! cable protocol, so the floor writes the bytes the anycable-rs row writes.

use std::collections::HashMap;
use std::io::Write;
use std::net::TcpStream;
use std::time::{SystemTime, UNIX_EPOCH};

/// URL-safe characters an epoch is spelled with, as anycable-rs's.
const EPOCH_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Sockets subscribed to one stream with one identifier: they all get the same frame.
struct Group {
    identifier: String,
    sockets: Vec<TcpStream>,
}

/// A stream's subscribers and the offset of its last broadcast.
#[derive(Default)]
struct Stream {
    offset: u64,
    groups: Vec<Group>,
}

/// Subscribed sockets by stream name.
pub struct Subscribers {
    /// This process's epoch: four characters, like anycable-rs's.
    epoch: String,
    streams: HashMap<String, Stream>,
}

impl Subscribers {
    pub fn new() -> Subscribers {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |now| now.subsec_nanos());
        let epoch = (0..4)
            .map(|n| char::from(EPOCH_ALPHABET[(nanos >> (6 * n)) as usize % 64]))
            .collect();
        Subscribers {
            epoch,
            streams: HashMap::new(),
        }
    }

    pub fn add(&mut self, stream: String, identifier: String, socket: TcpStream) {
        let groups = &mut self.streams.entry(stream).or_default().groups;
        match groups.iter_mut().find(|g| g.identifier == identifier) {
            Some(group) => group.sockets.push(socket),
            None => groups.push(Group {
                identifier,
                sockets: vec![socket],
            }),
        }
    }

    /// Writes `data` to every subscriber of `stream` as the Action Cable message anycable-rs
    /// sends (`{"identifier":…,"message":<data>,"stream_id":…,"epoch":…,"offset":…}`), framed
    /// once per identifier; a socket whose write fails is dropped.
    pub fn broadcast(&mut self, stream: &str, data: &str) {
        let Some(subscribed) = self.streams.get_mut(stream) else {
            return;
        };
        subscribed.offset += 1;
        let position = Position {
            stream,
            epoch: &self.epoch,
            offset: subscribed.offset,
        };
        for group in &mut subscribed.groups {
            let frame = crate::frame::text(message(&group.identifier, data, &position).as_bytes());
            group
                .sockets
                .retain_mut(|socket| socket.write_all(&frame).is_ok());
        }
    }
}

/// Where a broadcast sits in its stream's history.
struct Position<'a> {
    stream: &'a str,
    epoch: &'a str,
    offset: u64,
}

/// The broadcast message: `data` embedded as JSON when it is JSON (as servers do), else as a
/// string, then the position.
fn message(identifier: &str, data: &str, position: &Position) -> String {
    let identifier = serde_json::Value::from(identifier);
    let message = if serde_json::from_str::<serde::de::IgnoredAny>(data).is_ok() {
        data.to_string()
    } else {
        serde_json::Value::from(data).to_string()
    };
    let stream = serde_json::Value::from(position.stream);
    let epoch = serde_json::Value::from(position.epoch);
    let offset = position.offset;
    format!(
        r#"{{"identifier":{identifier},"message":{message},"stream_id":{stream},"epoch":{epoch},"offset":{offset}}}"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_data_is_embedded_and_other_data_quoted() {
        let at = Position {
            stream: "bench",
            epoch: "AbC-",
            offset: 7,
        };
        assert_eq!(
            message(r#"{"channel":"$pubsub"}"#, r#"{"t":1}"#, &at),
            r#"{"identifier":"{\"channel\":\"$pubsub\"}","message":{"t":1},"stream_id":"bench","epoch":"AbC-","offset":7}"#
        );
        assert_eq!(
            message("{}", "plain text", &at),
            r#"{"identifier":"{}","message":"plain text","stream_id":"bench","epoch":"AbC-","offset":7}"#
        );
    }

    #[test]
    fn epochs_are_four_url_safe_characters() {
        let epoch = Subscribers::new().epoch;
        assert_eq!(epoch.len(), 4);
        assert!(
            epoch.bytes().all(|b| EPOCH_ALPHABET.contains(&b)),
            "{epoch}"
        );
    }
}
