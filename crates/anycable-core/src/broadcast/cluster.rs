//! The fan-out listener of a broker that [fans out](crate::broker::Broker::fans_out): every node,
//! the registering one included, delivers what the broker's scripts publish on its channel, with
//! the positions they gave. One channel carries every script's `PUBLISH` in Redis's execution
//! order, so each stream arrives here in offset order with no reordering.
//!
//! It lives in `broadcast` (not beside the broker) because it delivers through the hub, and the
//! hub already depends on the broker.
//!
//! **Gap repair.** For streams with subscribers here, the last offset delivered is tracked; a kept
//! record that skips offsets in the same epoch (a message lost while the subscription was cut, or
//! dropped by Redis's output buffer limit) first has the missing ones read from history and
//! delivered in order. After a resubscription every tracked stream is caught up before the first
//! new message is read. Repaired frames ignore `exclude_socket`, which history does not keep.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::value::RawValue;
use tokio::task::JoinHandle;

use super::redis::{subscribe, Handler, Subscription};
use crate::broker::redis::record::{records, Record};
use crate::broker::redis::FANOUT_CHANNEL;
use crate::broker::{Broker, PresenceChange, StreamPosition};
use crate::hub::Hub;
use crate::log::{log, Log};
use crate::redis_link::{redact, Link, RedisHealth};

/// A gap wider than this is not repaired (the history holds far less anyway).
const MAX_REPAIR: u64 = 10_000;
/// How often streams nobody here subscribes to any more stop being tracked.
const PRUNE_EVERY: Duration = Duration::from_secs(10);

/// Subscribes to the fan-out channel (failing fast when Redis cannot be reached), then delivers
/// from it until the returned task is aborted.
pub(crate) async fn start(
    url: &str,
    hub: Arc<Hub>,
    broker: Arc<dyn Broker>,
    health: Arc<RedisHealth>,
) -> Result<JoinHandle<()>, String> {
    let client = redis::Client::open(url).map_err(|e| format!("invalid redisUrl: {e}"))?;
    let channels = vec![FANOUT_CHANNEL.to_owned()];
    let first = subscribe(&client, &channels)
        .await
        .map_err(|e| format!("cannot reach Redis at {}: {e}", redact(url)))?;
    let subscription = Subscription {
        client,
        channels,
        link: Link::BrokerFanout,
        name: "broker fan-out",
        handler: Fanout {
            log: health.log().clone(),
            hub,
            broker,
            epoch: None,
            last: HashMap::new(),
            pruned: Instant::now(),
        },
        health,
    };
    Ok(tokio::spawn(subscription.run(first)))
}

/// Delivers fan-out records to this node's subscribers.
struct Fanout {
    log: Log,
    hub: Arc<Hub>,
    broker: Arc<dyn Broker>,
    /// The latest epoch seen, shared by the positions of its records.
    epoch: Option<Arc<str>>,
    /// Streams with subscribers here → the epoch and offset last delivered.
    last: HashMap<Box<str>, (Arc<str>, u64)>,
    pruned: Instant,
}

impl Handler for Fanout {
    async fn handle(&mut self, _channel: &str, payload: &[u8]) {
        for record in records(payload) {
            match record {
                Ok(record) => self.deliver(record).await,
                Err(error) => {
                    log!(
                        self.log,
                        Warn,
                        "ignored the rest of a Redis broker message",
                        error = error
                    );
                    break;
                }
            }
        }
        if self.pruned.elapsed() >= PRUNE_EVERY {
            let hub = &self.hub;
            self.last.retain(|stream, _| hub.has_subscribers(stream));
            self.pruned = Instant::now();
        }
    }

    async fn resubscribed(&mut self) {
        let tracked: Vec<(Box<str>, Arc<str>, u64)> = self
            .last
            .iter()
            .map(|(stream, (epoch, offset))| (stream.clone(), Arc::clone(epoch), *offset))
            .collect();
        for (stream, epoch, offset) in tracked {
            self.repair(&stream, &epoch, offset, None).await;
        }
    }
}

impl Fanout {
    async fn deliver(&mut self, record: Record<'_>) {
        match record {
            Record::Kept {
                epoch,
                offset,
                stream,
                exclude,
                data,
            } => {
                let Some(message) = json(data) else { return };
                let epoch = self.shared_epoch(epoch);
                if let Some((last_epoch, last)) = self.last.get(stream) {
                    let last = *last;
                    if *last_epoch == epoch {
                        // Already delivered by a repair that read it from history.
                        if offset <= last {
                            return;
                        }
                        if last + 1 < offset && offset <= last + MAX_REPAIR {
                            self.repair(stream, &epoch, last, Some(offset)).await;
                        }
                    }
                }
                let position = StreamPosition { epoch, offset };
                let delivered = self
                    .hub
                    .broadcast(stream, message, exclude, Some(&position));
                self.track(stream, position, delivered);
            }
            Record::Transient {
                stream,
                exclude,
                data,
            } => {
                if let Some(message) = json(data) {
                    self.hub.broadcast(stream, message, exclude, None);
                }
            }
            Record::Join { stream, id, info } => {
                let change = PresenceChange::Join {
                    id: Arc::from(id),
                    info: info.map(Arc::from),
                };
                self.hub.presence(stream, &change);
            }
            Record::Leave { stream, id } => {
                let change = PresenceChange::Leave { id: Arc::from(id) };
                self.hub.presence(stream, &change);
            }
        }
    }

    /// The epoch as an `Arc` shared with earlier records of the same epoch.
    fn shared_epoch(&mut self, epoch: &str) -> Arc<str> {
        match &self.epoch {
            Some(known) if **known == *epoch => Arc::clone(known),
            _ => {
                let epoch: Arc<str> = Arc::from(epoch);
                self.epoch = Some(Arc::clone(&epoch));
                epoch
            }
        }
    }

    /// Remembers what `stream` last delivered, when it has subscribers here.
    fn track(&mut self, stream: &str, position: StreamPosition, delivered: usize) {
        match self.last.get_mut(stream) {
            Some(last) => *last = (position.epoch, position.offset),
            None if delivered > 0 => {
                self.last
                    .insert(Box::from(stream), (position.epoch, position.offset));
            }
            None => {}
        }
    }

    /// Delivers the kept messages of `stream` after `last` (and before `until`, when given) from
    /// history. A failure skips the repair: the subscribers' own history requests remain.
    async fn repair(&mut self, stream: &str, epoch: &Arc<str>, last: u64, until: Option<u64>) {
        let Ok(history) = self.broker.history_from(stream, epoch, last).await else {
            return;
        };
        let mut delivered_up_to = None;
        for message in history.messages {
            if until.is_some_and(|until| message.offset >= until) {
                break;
            }
            let Some(data) = json(&message.data) else {
                continue;
            };
            let position = StreamPosition {
                epoch: Arc::clone(&history.epoch),
                offset: message.offset,
            };
            self.hub.broadcast(stream, data, None, Some(&position));
            delivered_up_to = Some(position);
        }
        if let Some(position) = delivered_up_to {
            self.track(stream, position, 0);
        }
    }
}

/// A record's data as JSON (the scripts only carry what was JSON when registered).
fn json(data: &str) -> Option<&RawValue> {
    serde_json::from_str(data).ok()
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;
    use crate::broker::memory::MemoryBroker;
    use crate::broker::BrokerSettings;
    use crate::hub::Subscriber;
    use crate::outbox::{Outbox, OutboxReceiver};

    fn field(text: &str) -> String {
        format!("{}:{text}", text.len())
    }

    /// A kept record, as `register.lua` writes it.
    fn kept(epoch: &str, offset: u64, data: &str) -> String {
        [
            "m",
            &field(epoch),
            &field(&offset.to_string()),
            &field("s"),
            &field(""),
        ]
        .concat()
            + &field(data)
    }

    fn fanout(broker: Arc<dyn Broker>) -> (Fanout, OutboxReceiver) {
        let hub = Arc::new(Hub::default());
        let (outbox, receiver) = Outbox::new(100, usize::MAX);
        let subscriber = Subscriber {
            sid: Arc::from("sid"),
            outbox,
        };
        hub.subscribe("s", &Arc::from("id"), 1, subscriber);
        let fanout = Fanout {
            log: Log::stderr(),
            hub,
            broker,
            epoch: None,
            last: HashMap::new(),
            pruned: Instant::now(),
        };
        (fanout, receiver)
    }

    fn offsets(receiver: &mut OutboxReceiver) -> Vec<u64> {
        std::iter::from_fn(|| receiver.try_recv())
            .map(|queued| queued.position.expect("kept").offset)
            .collect()
    }

    #[test]
    fn a_gap_is_filled_from_history_in_order_and_nothing_comes_twice() {
        // The memory broker stands for Redis' history: offsets 1 to 3 in its epoch.
        let memory = MemoryBroker::new(BrokerSettings::default());
        for n in 1..=3 {
            memory
                .register("s", Arc::from(n.to_string()))
                .now_or_never();
        }
        let epoch = memory.epoch().to_string();
        let (mut fanout, mut receiver) = fanout(Arc::new(memory));
        fanout
            .handle(FANOUT_CHANNEL, kept(&epoch, 1, "1").as_bytes())
            .now_or_never()
            .unwrap();
        // Offset 2 was lost on the way: it is read from history before 3 goes out.
        fanout
            .handle(FANOUT_CHANNEL, kept(&epoch, 3, "3").as_bytes())
            .now_or_never()
            .unwrap();
        assert_eq!(offsets(&mut receiver), [1, 2, 3]);
        // A copy of what was already delivered (read by a repair, then arriving) is dropped.
        fanout
            .handle(FANOUT_CHANNEL, kept(&epoch, 3, "3").as_bytes())
            .now_or_never()
            .unwrap();
        assert!(offsets(&mut receiver).is_empty());
    }

    #[test]
    fn transient_and_presence_records_go_out_without_a_position() {
        let (mut fanout, mut receiver) =
            fanout(Arc::new(MemoryBroker::new(BrokerSettings::default())));
        let payload = [
            format!("t{}{}{}", field("s"), field(""), field("\"typing\"")),
            format!("j{}{}{}", field("s"), field("u1"), field("")),
            format!("l{}{}", field("s"), field("u1")),
        ]
        .concat();
        fanout
            .handle(FANOUT_CHANNEL, payload.as_bytes())
            .now_or_never()
            .unwrap();
        let frames: Vec<_> = std::iter::from_fn(|| receiver.try_recv()).collect();
        assert_eq!(frames.len(), 3);
        assert!(frames.iter().all(|queued| queued.position.is_none()));
        assert!(
            frames[1].frame.as_str().contains(r#""type":"join""#),
            "{}",
            frames[1].frame.as_str()
        );
        assert!(
            frames[2].frame.as_str().contains(r#""type":"leave""#),
            "{}",
            frames[2].frame.as_str()
        );
    }
}
