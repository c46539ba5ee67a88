//! Fan-out: stream name -> subscribers. A broadcast is serialised once per (stream, identifier)
//! and the same frame is handed to every subscriber's outbox.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};
use std::thread;
use std::time::Instant;

use serde_json::value::RawValue;

use crate::broker::{PresenceChange, StreamPosition};
use crate::metrics::{FanoutMetrics, SessionMetrics};
use crate::outbox::{Outbox, Pushed, Queued, QueuedPosition};
use crate::protocol::{
    broadcast_frame, presence, stored_broadcast_frame, PresenceEvent, StreamOffset,
};

/// Identifies a session inside this process.
pub(crate) type SessionId = u64;

/// Where a subscriber's frames go, and its `sid` for `exclude_socket`.
#[derive(Clone)]
pub(crate) struct Subscriber {
    pub(crate) sid: Arc<str>,
    pub(crate) outbox: Outbox,
}

#[derive(Default)]
struct Stream {
    /// Subscribers grouped by the identifier they subscribed with (it is part of the frame).
    by_identifier: HashMap<Arc<str>, HashMap<SessionId, Subscriber>>,
}

#[derive(Default)]
pub(crate) struct Hub {
    streams: RwLock<HashMap<Arc<str>, Stream>>,
    /// Broadcasts fanned out here, and how long each took.
    pub(crate) fanout: FanoutMetrics,
    /// What this server's sessions count. Kept here because every session already holds the
    /// hub: one more pointer per session would cost 8 bytes on each idle connection.
    pub(crate) sessions: SessionMetrics,
}

/// Counts for `stats()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct HubStats {
    pub(crate) streams: usize,
    pub(crate) subscriptions: usize,
}

impl Hub {
    pub(crate) fn subscribe(
        &self,
        stream: &str,
        identifier: &Arc<str>,
        session: SessionId,
        subscriber: Subscriber,
    ) {
        let mut streams = self.streams.write().expect("hub lock");
        let entry = match streams.get_mut(stream) {
            Some(entry) => entry,
            None => streams.entry(Arc::from(stream)).or_default(),
        };
        entry
            .by_identifier
            .entry(Arc::clone(identifier))
            .or_default()
            .insert(session, subscriber);
    }

    pub(crate) fn unsubscribe(&self, stream: &str, identifier: &str, session: SessionId) {
        let mut streams = self.streams.write().expect("hub lock");
        let Some(entry) = streams.get_mut(stream) else {
            return;
        };
        if let Some(sessions) = entry.by_identifier.get_mut(identifier) {
            sessions.remove(&session);
            if sessions.is_empty() {
                entry.by_identifier.remove(identifier);
            }
        }
        if entry.by_identifier.is_empty() {
            streams.remove(stream);
        }
    }

    /// Delivers `message` (JSON text) to every subscriber of `stream` but the session whose sid is
    /// `exclude_sid`; with `position` (the broker registered it), the frames carry `stream_id`,
    /// `epoch` and `offset`. Returns how many outboxes took it.
    pub(crate) fn broadcast(
        &self,
        stream: &str,
        message: &RawValue,
        exclude_sid: Option<&str>,
        position: Option<&StreamPosition>,
    ) -> usize {
        let started = Instant::now();
        let delivered = self.fan_out(
            stream,
            |stream, identifier| queued_frame(stream, identifier, message, position),
            |_, subscriber| Some(&*subscriber.sid) != exclude_sid,
        );
        // Like the reference, only broadcasts that found subscribers here count.
        if delivered > 0 {
            self.fanout.broadcasts.inc();
            self.fanout.seconds.observe_duration(started.elapsed());
        }
        delivered
    }

    /// Relays a whisper to the other subscribers of `stream`, never back to `sender`.
    pub(crate) fn whisper(&self, stream: &str, sender: SessionId, data: &RawValue) -> usize {
        self.fan_out(
            stream,
            |_, identifier| Queued::from(broadcast_frame(identifier, data)),
            |session, _| session != sender,
        )
    }

    /// Tells every subscriber of `stream` (whatever its identifier, the joiner included) of a
    /// presence change, as a transient `presence` frame.
    pub(crate) fn presence(&self, stream: &str, change: &PresenceChange) -> usize {
        let event = match change {
            PresenceChange::Join { id, info } => PresenceEvent::Join {
                id,
                // Kept as the JSON text the client sent, so it parses.
                info: info
                    .as_deref()
                    .and_then(|info| serde_json::from_str(info).ok()),
            },
            PresenceChange::Leave { id } => PresenceEvent::Leave { id },
        };
        self.fan_out(
            stream,
            |_, identifier| Queued::from(presence(identifier, event)),
            |_, _| true,
        )
    }

    /// Hands the frame `make` builds for each identifier (once per identifier, on its first
    /// wanted subscriber) to every `wanted` subscriber of `stream`.
    fn fan_out(
        &self,
        stream: &str,
        make: impl Fn(&Arc<str>, &Arc<str>) -> Queued,
        wanted: impl Fn(SessionId, &Subscriber) -> bool,
    ) -> usize {
        // Collected under the lock, handed over after it: a frame may be written to the socket
        // right away (microseconds each), and 10,000 writes must not hold back subscribing.
        let mut frames: Vec<Queued> = Vec::new();
        let mut targets: Vec<(usize, Outbox)> = Vec::new();
        {
            let streams = self.streams.read().expect("hub lock");
            let Some((stream, entry)) = streams.get_key_value(stream) else {
                return 0;
            };
            targets.reserve(entry.by_identifier.values().map(HashMap::len).sum());
            for (identifier, sessions) in &entry.by_identifier {
                let mut made = None;
                for (&session, subscriber) in sessions {
                    if !wanted(session, subscriber) {
                        continue;
                    }
                    let frame = *made.get_or_insert_with(|| {
                        frames.push(make(stream, identifier));
                        frames.len() - 1
                    });
                    targets.push((frame, subscriber.outbox.clone()));
                }
            }
        }
        let hand_over = |targets: &[(usize, Outbox)]| {
            let mut delivered = 0;
            for (frame, outbox) in targets {
                let queued = &frames[*frame];
                match outbox.push(queued.clone()) {
                    Pushed::Written => {
                        self.sessions.sent_straight(queued.frame.len());
                        delivered += 1;
                    }
                    Pushed::Queued => delivered += 1,
                    Pushed::Refused => {}
                }
            }
            delivered
        };
        in_parallel(&targets, hand_over)
    }

    /// Whether anyone here is subscribed to `stream`.
    pub(crate) fn has_subscribers(&self, stream: &str) -> bool {
        self.streams.read().expect("hub lock").contains_key(stream)
    }

    pub(crate) fn stats(&self) -> HubStats {
        let streams = self.streams.read().expect("hub lock");
        HubStats {
            streams: streams.len(),
            subscriptions: streams
                .values()
                .flat_map(|entry| entry.by_identifier.values())
                .map(HashMap::len)
                .sum(),
        }
    }
}

/// Subscribers one thread hands a broadcast to before another one helps: at a few microseconds
/// a write, a thread's start (tens of microseconds) is then under 1% of its share.
const PER_THREAD: usize = 2048;

/// Runs `hand_over` over `targets` split across up to one thread per core, the calling thread
/// taking the first part; returns once every part is done (so a publisher's broadcasts still
/// reach each subscriber in order), with the parts' sum. A large fan-out is mostly the kernel's
/// work per write, which spreads across cores; its last delivery comes that much sooner.
fn in_parallel<T: Sync>(targets: &[T], hand_over: impl Fn(&[T]) -> usize + Sync) -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    let cores = *CORES.get_or_init(|| thread::available_parallelism().map_or(1, usize::from));
    let parts = cores.min(targets.len() / PER_THREAD).max(1);
    if parts == 1 {
        return hand_over(targets);
    }
    let mut chunks = targets.chunks(targets.len().div_ceil(parts));
    let first = chunks.next().unwrap_or_default();
    let hand_over = &hand_over;
    thread::scope(|scope| {
        let helpers: Vec<_> = chunks
            .map(|chunk| {
                // Without a thread (out of threads or memory), this one does that part too.
                thread::Builder::new()
                    .name("anycable-fanout".into())
                    .spawn_scoped(scope, move || hand_over(chunk))
                    .map_err(|_| chunk)
            })
            .collect();
        let mut delivered = hand_over(first);
        for helper in helpers {
            delivered += match helper {
                Ok(helper) => helper.join().unwrap_or(0),
                Err(chunk) => hand_over(chunk),
            };
        }
        delivered
    })
}

/// The frame of `message` for subscribers of `stream` with `identifier`, and where it sits when
/// kept in history.
fn queued_frame(
    stream: &Arc<str>,
    identifier: &Arc<str>,
    message: &RawValue,
    position: Option<&StreamPosition>,
) -> Queued {
    let Some(position) = position else {
        return Queued::from(broadcast_frame(identifier, message));
    };
    let at = StreamOffset {
        stream,
        epoch: &position.epoch,
        offset: position.offset,
    };
    Queued {
        frame: stored_broadcast_frame(identifier, message, at).into(),
        position: Some(Arc::new(QueuedPosition {
            identifier: Arc::clone(identifier),
            stream: Arc::clone(stream),
            epoch: Arc::clone(&position.epoch),
            offset: position.offset,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::{Outbox, OutboxReceiver};

    fn raw(json: &str) -> Box<RawValue> {
        RawValue::from_string(json.into()).unwrap()
    }

    fn subscriber(sid: &str, capacity: usize) -> (Subscriber, OutboxReceiver) {
        let (outbox, receiver) = Outbox::new(capacity, usize::MAX);
        (
            Subscriber {
                sid: Arc::from(sid),
                outbox,
            },
            receiver,
        )
    }

    #[test]
    fn a_stream_has_subscribers_until_the_last_one_leaves() {
        let hub = Hub::default();
        let (a, _a_rx) = subscriber("a", 8);
        assert!(!hub.has_subscribers("s"));
        hub.subscribe("s", &Arc::from("id"), 1, a);
        assert!(hub.has_subscribers("s"));
        hub.unsubscribe("s", "id", 1);
        assert!(!hub.has_subscribers("s"));
    }

    #[test]
    fn broadcasts_reach_each_subscriber_with_its_identifier() {
        let hub = Hub::default();
        let (a, mut a_rx) = subscriber("a", 8);
        let (b, mut b_rx) = subscriber("b", 8);
        let (c, mut c_rx) = subscriber("c", 8);
        let id1: Arc<str> = Arc::from("id-1");
        let id2: Arc<str> = Arc::from("id-2");
        hub.subscribe("chat", &id1, 1, a);
        hub.subscribe("chat", &id2, 2, b);
        hub.subscribe("other", &id1, 3, c);
        assert_eq!(hub.broadcast("chat", &raw(r#"{"n":1}"#), None, None), 2);
        assert_eq!(
            a_rx.try_recv().unwrap().frame.as_str(),
            r#"{"identifier":"id-1","message":{"n":1}}"#
        );
        assert_eq!(
            b_rx.try_recv().unwrap().frame.as_str(),
            r#"{"identifier":"id-2","message":{"n":1}}"#
        );
        assert!(c_rx.try_recv().is_none());
        assert_eq!(
            hub.stats(),
            HubStats {
                streams: 2,
                subscriptions: 3
            }
        );
    }

    /// Sessions 1 (sid "a") and 2 (sid "b") subscribed to stream "s" with identifier "id".
    fn two_on_one_stream() -> (Hub, OutboxReceiver, OutboxReceiver) {
        let hub = Hub::default();
        let id: Arc<str> = Arc::from("id");
        let (a, a_rx) = subscriber("a", 8);
        let (b, b_rx) = subscriber("b", 8);
        hub.subscribe("s", &id, 1, a);
        hub.subscribe("s", &id, 2, b);
        (hub, a_rx, b_rx)
    }

    #[test]
    fn one_frame_is_shared_by_subscribers_with_the_same_identifier() {
        let (hub, mut a_rx, mut b_rx) = two_on_one_stream();
        hub.broadcast("s", &raw("1"), None, None);
        let (fa, fb) = (
            a_rx.try_recv().unwrap().frame,
            b_rx.try_recv().unwrap().frame,
        );
        assert_eq!(
            fa.as_str().as_ptr(),
            fb.as_str().as_ptr(),
            "same allocation"
        );
    }

    #[test]
    fn exclude_socket_and_whisper_skip_the_sender() {
        let (hub, mut a_rx, mut b_rx) = two_on_one_stream();
        assert_eq!(hub.broadcast("s", &raw("1"), Some("a"), None), 1);
        assert!(a_rx.try_recv().is_none());
        assert!(b_rx.try_recv().is_some());
        assert_eq!(hub.whisper("s", 2, &raw(r#"{"typing":true}"#)), 1);
        assert!(a_rx.try_recv().is_some());
        assert!(b_rx.try_recv().is_none());
    }

    #[test]
    fn kept_broadcasts_carry_their_position_in_frame_and_entry() {
        let (hub, mut a_rx, mut b_rx) = two_on_one_stream();
        let position = StreamPosition {
            epoch: Arc::from("E"),
            offset: 7,
        };
        assert_eq!(hub.broadcast("s", &raw("1"), None, Some(&position)), 2);
        let (a, b) = (a_rx.try_recv().unwrap(), b_rx.try_recv().unwrap());
        assert_eq!(
            a.frame.as_str(),
            r#"{"identifier":"id","message":1,"stream_id":"s","epoch":"E","offset":7}"#
        );
        let shared = a.position.expect("a position");
        assert_eq!(
            *shared,
            QueuedPosition {
                identifier: Arc::from("id"),
                stream: Arc::from("s"),
                epoch: Arc::from("E"),
                offset: 7
            }
        );
        assert!(
            Arc::ptr_eq(&shared, &b.position.unwrap()),
            "one per identifier"
        );
        hub.whisper("s", 1, &raw("2"));
        assert!(b_rx.try_recv().unwrap().position.is_none());
    }

    #[test]
    fn presence_changes_reach_every_subscriber_with_its_identifier() {
        let hub = Hub::default();
        let (a, mut a_rx) = subscriber("a", 8);
        let (b, mut b_rx) = subscriber("b", 8);
        hub.subscribe("s", &Arc::from("id-1"), 1, a);
        hub.subscribe("s", &Arc::from("id-2"), 2, b);
        let join = PresenceChange::Join {
            id: Arc::from("u1"),
            info: Some(Arc::from(r#"{"name":"Ann"}"#)),
        };
        assert_eq!(hub.presence("s", &join), 2);
        let joined = a_rx.try_recv().unwrap();
        assert_eq!(
            joined.frame.as_str(),
            r#"{"type":"presence","identifier":"id-1","message":{"type":"join","id":"u1","info":{"name":"Ann"}}}"#
        );
        assert!(joined.position.is_none(), "transient");
        assert_eq!(
            b_rx.try_recv().unwrap().frame.as_str(),
            r#"{"type":"presence","identifier":"id-2","message":{"type":"join","id":"u1","info":{"name":"Ann"}}}"#
        );
        hub.presence(
            "s",
            &PresenceChange::Leave {
                id: Arc::from("u1"),
            },
        );
        assert_eq!(
            a_rx.try_recv().unwrap().frame.as_str(),
            r#"{"type":"presence","identifier":"id-1","message":{"type":"leave","id":"u1"}}"#
        );
        assert_eq!(hub.presence("elsewhere", &join), 0);
    }

    #[test]
    fn unsubscribing_the_last_subscriber_drops_the_stream() {
        let hub = Hub::default();
        let id: Arc<str> = Arc::from("id");
        let (a, _a_rx) = subscriber("a", 8);
        hub.subscribe("s", &id, 1, a);
        hub.unsubscribe("s", "id", 1);
        assert_eq!(hub.stats(), HubStats::default());
        assert_eq!(hub.broadcast("s", &raw("1"), None, None), 0);
    }

    #[test]
    fn a_large_fan_out_is_split_across_threads_and_each_subscriber_gets_every_frame_in_order() {
        let hub = Hub::default();
        let id: Arc<str> = Arc::from("id");
        let receivers: Vec<_> = (0..3 * PER_THREAD as u64)
            .map(|session| {
                let (subscriber, receiver) = subscriber(&session.to_string(), 8);
                hub.subscribe("s", &id, session, subscriber);
                receiver
            })
            .collect();
        assert_eq!(hub.broadcast("s", &raw("1"), None, None), receivers.len());
        assert_eq!(hub.broadcast("s", &raw("2"), None, None), receivers.len());
        for mut receiver in receivers {
            let frames: Vec<String> = std::iter::from_fn(|| receiver.try_recv())
                .map(|queued| queued.frame.as_str().to_owned())
                .collect();
            assert_eq!(
                frames,
                [
                    r#"{"identifier":"id","message":1}"#,
                    r#"{"identifier":"id","message":2}"#
                ]
            );
        }
    }

    #[test]
    fn parts_go_to_other_threads_only_when_each_is_large() {
        let threads = std::sync::Mutex::new(std::collections::HashSet::new());
        let count = |part: &[u32]| {
            threads.lock().unwrap().insert(thread::current().id());
            part.len()
        };
        let small = vec![0u32; PER_THREAD];
        assert_eq!(in_parallel(&small, count), PER_THREAD);
        assert_eq!(threads.lock().unwrap().len(), 1);
        let large = vec![0u32; 4 * PER_THREAD + 1];
        assert_eq!(in_parallel(&large, count), large.len());
        let cores = thread::available_parallelism().map_or(1, usize::from);
        assert_eq!(threads.lock().unwrap().len(), cores.min(4));
    }

    #[test]
    fn a_full_outbox_is_skipped_and_flagged_not_blocked() {
        let hub = Hub::default();
        let id: Arc<str> = Arc::from("id");
        let (slow, _slow_rx) = subscriber("slow", 1);
        let flag = slow.outbox.clone();
        let (fast, mut fast_rx) = subscriber("fast", 8);
        hub.subscribe("s", &id, 1, slow);
        hub.subscribe("s", &id, 2, fast);
        assert_eq!(hub.broadcast("s", &raw("1"), None, None), 2);
        assert_eq!(hub.broadcast("s", &raw("2"), None, None), 1);
        assert!(flag.is_too_slow());
        assert_eq!(
            fast_rx.try_recv().unwrap().frame.as_str(),
            r#"{"identifier":"id","message":1}"#
        );
        assert_eq!(
            fast_rx.try_recv().unwrap().frame.as_str(),
            r#"{"identifier":"id","message":2}"#
        );
    }
}
