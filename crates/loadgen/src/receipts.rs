//! What clients receive during the fan-out: the latency of every timestamped broadcast, and
//! whether the frames carried stream positions (`stream_id`/`epoch`/`offset`, which a server with
//! a history broker adds on either cable protocol) in order.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio_tungstenite::tungstenite::Message;

use crate::client::Connected;

/// Latencies (ms) of the broadcasts every client received, from the `t` (µs since the epoch)
/// they carry: to their arrival in the client's socket, and to the generator reading them.
#[derive(Default)]
pub struct Latencies {
    pub arrival: Vec<f64>,
    pub read: Vec<f64>,
    /// Broadcasts that carried a stream position.
    pub with_offset: usize,
    /// Broadcasts whose offset was not above the previous one a client got in the same epoch.
    pub offsets_out_of_order: usize,
}

pub struct Receipts {
    latencies: Arc<Mutex<Latencies>>,
    readers: Vec<tokio::task::JoinHandle<()>>,
}

impl Receipts {
    pub fn collect(self) -> Latencies {
        for reader in &self.readers {
            reader.abort();
        }
        std::mem::take(&mut *self.latencies.lock().expect("latencies"))
    }
}

pub fn listen_all(clients: Vec<Connected>) -> Receipts {
    let latencies = Arc::new(Mutex::new(Latencies::default()));
    let readers = clients
        .into_iter()
        .map(|mut ws| {
            let latencies = Arc::clone(&latencies);
            tokio::spawn(async move {
                let mut last_position: Option<Position> = None;
                while let Some(Ok(message)) = ws.next().await {
                    let Message::Text(text) = message else {
                        continue;
                    };
                    if text.as_str() == "2" {
                        // Engine.IO ping: answer, or Socket.IO drops the client.
                        let _ = ws.send(Message::text("3")).await;
                    } else if let Some(broadcast) = Broadcast::parse(&text) {
                        let read_us = now_micros().saturating_sub(broadcast.sent_us);
                        let arrival_us = ws
                            .get_ref()
                            .last_arrival_us()
                            .saturating_sub(broadcast.sent_us);
                        let mut latencies = latencies.lock().expect("latencies");
                        latencies.arrival.push(arrival_us as f64 / 1000.0);
                        latencies.read.push(read_us as f64 / 1000.0);
                        if let Some(position) = broadcast.position {
                            latencies.with_offset += 1;
                            if last_position
                                .as_ref()
                                .is_some_and(|last| !position.follows(last))
                            {
                                latencies.offsets_out_of_order += 1;
                            }
                            last_position = Some(position);
                        }
                    }
                }
            })
        })
        .collect();
    Receipts { latencies, readers }
}

/// A stream position as broadcast frames carry it.
#[derive(Deserialize, Debug, PartialEq, Eq)]
struct Position {
    epoch: String,
    offset: u64,
}

impl Position {
    /// A later message of the same stream: a higher offset, or any offset in a new epoch.
    fn follows(&self, earlier: &Position) -> bool {
        self.epoch != earlier.epoch || self.offset > earlier.offset
    }
}

/// A timestamped broadcast as a client received it.
#[derive(Debug, PartialEq, Eq)]
struct Broadcast {
    /// The publish time it carries, µs since the Unix epoch.
    sent_us: u64,
    position: Option<Position>,
}

#[derive(Deserialize)]
struct Stamp {
    t: u64,
}

/// Cable: `{"identifier":…,"message":{"t":…},"stream_id":…,"epoch":…,"offset":…}`.
#[derive(Deserialize)]
struct CableFrame {
    message: Stamp,
    stream_id: Option<String>,
    epoch: Option<String>,
    offset: Option<u64>,
}

impl Broadcast {
    /// The broadcast in a cable frame or a Socket.IO `42["message",{"t":…}]` event; `None` for
    /// anything else (pings, control frames).
    fn parse(text: &str) -> Option<Broadcast> {
        if let Some(event) = text.strip_prefix("42") {
            let (_, stamp): (String, Stamp) = serde_json::from_str(event).ok()?;
            return Some(Broadcast {
                sent_us: stamp.t,
                position: None,
            });
        }
        let frame: CableFrame = serde_json::from_str(text).ok()?;
        let position = match (frame.stream_id, frame.epoch, frame.offset) {
            (Some(_), Some(epoch), Some(offset)) => Some(Position { epoch, offset }),
            _ => None,
        };
        Some(Broadcast {
            sent_us: frame.message.t,
            position,
        })
    }
}

pub fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_publish_time_and_position_of_a_cable_broadcast() {
        let frame = r#"{"identifier":"{}","message":{"n":1,"t":1700,"pad":"x"},"stream_id":"bench","epoch":"ab12","offset":7}"#;
        assert_eq!(
            Broadcast::parse(frame),
            Some(Broadcast {
                sent_us: 1700,
                position: Some(Position {
                    epoch: "ab12".into(),
                    offset: 7
                })
            })
        );
    }

    #[test]
    fn plain_broadcasts_and_socketio_events_have_no_position() {
        let plain = Broadcast::parse(r#"{"identifier":"{}","message":{"t":5}}"#).unwrap();
        assert_eq!((plain.sent_us, plain.position), (5, None));
        let event = Broadcast::parse(r#"42["message",{"n":0,"t":9}]"#).unwrap();
        assert_eq!((event.sent_us, event.position), (9, None));
    }

    #[test]
    fn pings_and_control_frames_are_not_broadcasts() {
        assert_eq!(
            Broadcast::parse(r#"{"type":"ping","message":1700000000}"#),
            None
        );
        assert_eq!(
            Broadcast::parse(r#"{"type":"confirm_subscription","identifier":"{}"}"#),
            None
        );
        assert_eq!(Broadcast::parse("3"), None);
    }

    #[test]
    fn a_position_follows_a_lower_offset_or_another_epoch() {
        let at = |epoch: &str, offset| Position {
            epoch: epoch.into(),
            offset,
        };
        assert!(at("e", 2).follows(&at("e", 1)));
        assert!(!at("e", 2).follows(&at("e", 2)));
        assert!(!at("e", 1).follows(&at("e", 2)));
        assert!(at("f", 1).follows(&at("e", 5)));
    }
}
