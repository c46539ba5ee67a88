//! The floor's fan-out: every subscribed socket by stream and identifier, and a broadcast written
//! to each of them with one blocking `write` of the pre-framed bytes.

use std::collections::HashMap;
use std::io::Write;
use std::net::TcpStream;

/// Sockets subscribed to one stream with one identifier: they all get the same frame.
struct Group {
    identifier: String,
    sockets: Vec<TcpStream>,
}

/// Subscribed sockets by stream name.
#[derive(Default)]
pub struct Subscribers {
    streams: HashMap<String, Vec<Group>>,
}

impl Subscribers {
    pub fn add(&mut self, stream: String, identifier: String, socket: TcpStream) {
        let groups = self.streams.entry(stream).or_default();
        match groups.iter_mut().find(|g| g.identifier == identifier) {
            Some(group) => group.sockets.push(socket),
            None => groups.push(Group {
                identifier,
                sockets: vec![socket],
            }),
        }
    }

    /// Writes `data` to every subscriber of `stream` as the Action Cable message a server sends
    /// (`{"identifier":…,"message":<data>}`), framed once per identifier; a socket whose write
    /// fails is dropped. Returns the frames written.
    pub fn broadcast(&mut self, stream: &str, data: &str) -> usize {
        let Some(groups) = self.streams.get_mut(stream) else {
            return 0;
        };
        let mut written = 0;
        for group in groups {
            let frame = crate::frame::text(message(&group.identifier, data).as_bytes());
            group
                .sockets
                .retain_mut(|socket| socket.write_all(&frame).is_ok());
            written += group.sockets.len();
        }
        written
    }
}

/// The broadcast message: `data` embedded as JSON when it is JSON (as servers do), else as a
/// string.
fn message(identifier: &str, data: &str) -> String {
    let identifier = serde_json::Value::from(identifier);
    if serde_json::from_str::<serde::de::IgnoredAny>(data).is_ok() {
        format!(r#"{{"identifier":{identifier},"message":{data}}}"#)
    } else {
        format!(
            r#"{{"identifier":{identifier},"message":{}}}"#,
            serde_json::Value::from(data)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_data_is_embedded_and_other_data_quoted() {
        assert_eq!(
            message(r#"{"channel":"$pubsub"}"#, r#"{"t":1}"#),
            r#"{"identifier":"{\"channel\":\"$pubsub\"}","message":{"t":1}}"#
        );
        assert_eq!(
            message("{}", "plain text"),
            r#"{"identifier":"{}","message":"plain text"}"#
        );
    }
}
