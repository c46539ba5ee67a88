//! Keepalive pings from one server-wide ticker instead of a timer per session (issue 19). The
//! sessions are spread over a few slots, and one slot's turn comes every `pingInterval / SLOTS`:
//! its ping frame is made once (per timestamp unit) and pushed to each member's outbox, so it is
//! written straight to the socket like a broadcast, without waking the session. A timer and a
//! wake-up per session and ping cost about 4 µs per broadcast frame at 10,000 clients
//! (BENCHMARKS.md).
//!
//! Sessions that act on their pings keep a timer of their own: a client that asked for another
//! interval (`?pi=`), one with a pong deadline, and a restored one holding frames until its first
//! ping.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::Rng;
use tokio::time::{interval, Instant, MissedTickBehavior};

use crate::hub::{Hub, SessionId};
use crate::outbox::{Outbox, Pushed, Queued};
use crate::protocol::{ping, TimestampPrecision};

/// How many groups the sessions are spread over: each group is pinged together.
const SLOTS: usize = 16;

/// The server's pinger: the members of each slot.
pub(crate) struct Pinger {
    interval: Duration,
    slots: Box<[Mutex<HashMap<SessionId, Member>>]>,
    /// Where pings written straight to a socket are counted.
    hub: Arc<Hub>,
}

struct Member {
    outbox: Outbox,
    precision: TimestampPrecision,
    /// Not pinged before: half an interval after it joined, so that its first ping comes in
    /// [0.5, 1.5) intervals, as with a timer of its own.
    not_before: Instant,
}

impl Pinger {
    /// A pinger for the server's `pingInterval`; it pings once [`run`](Self::run) is spawned.
    pub(crate) fn new(interval: Duration, hub: Arc<Hub>) -> Pinger {
        Pinger {
            interval,
            slots: (0..SLOTS).map(|_| Mutex::default()).collect(),
            hub,
        }
    }

    /// The server's `pingInterval`.
    pub(crate) fn interval(&self) -> Duration {
        self.interval
    }

    /// Pings one slot after another, each slot once per interval, until the task is aborted.
    pub(crate) async fn run(self: Arc<Self>) {
        let step = (self.interval / SLOTS as u32).max(Duration::from_millis(1));
        let mut ticks = interval(step);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        for slot in self.slots.iter().cycle() {
            ticks.tick().await;
            self.ping(slot);
        }
    }

    /// Pings the members of `slot`, each in its timestamp unit (each frame made once).
    fn ping(&self, slot: &Mutex<HashMap<SessionId, Member>>) {
        // Collected under the lock and pushed after it, so joining and leaving never wait on
        // writes.
        let now = Instant::now();
        let members: Vec<(Outbox, TimestampPrecision)> = slot
            .lock()
            .expect("pings lock")
            .values()
            .filter(|member| member.not_before <= now)
            .map(|member| (member.outbox.clone(), member.precision))
            .collect();
        let unix_now = unix_time();
        let mut frames: [Option<Queued>; 3] = Default::default();
        for (outbox, precision) in members {
            let frame = frames[precision as usize]
                .get_or_insert_with(|| Queued::from(ping(unix_now, precision)));
            if outbox.push(frame.clone()) == Pushed::Written {
                self.hub.sessions.sent_straight(frame.frame.len());
            }
        }
    }

    /// Pings `outbox` from half an interval on, in a slot picked at random (so that clients that
    /// connected together are pinged apart), until the returned membership is dropped.
    pub(crate) fn join(
        self: &Arc<Self>,
        session: SessionId,
        outbox: Outbox,
        precision: TimestampPrecision,
    ) -> Membership {
        let slot = rand::rng().random_range(0..self.slots.len());
        self.slots[slot].lock().expect("pings lock").insert(
            session,
            Member {
                outbox,
                precision,
                not_before: Instant::now() + self.interval / 2,
            },
        );
        Membership {
            pinger: Arc::clone(self),
            slot: slot as u8,
            session,
        }
    }
}

/// A session's place among the pinged; it leaves when dropped.
pub(crate) struct Membership {
    pinger: Arc<Pinger>,
    slot: u8,
    session: SessionId,
}

impl Drop for Membership {
    fn drop(&mut self) {
        let mut slot = self.pinger.slots[usize::from(self.slot)]
            .lock()
            .expect("pings lock");
        slot.remove(&self.session);
        // A slot emptied by a wave of disconnects gives its room back.
        if slot.is_empty() {
            *slot = HashMap::new();
        }
    }
}

pub(crate) fn unix_time() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::OutboxReceiver;

    const INTERVAL: Duration = Duration::from_secs(3);

    fn pings(receiver: &mut OutboxReceiver) -> Vec<String> {
        std::iter::from_fn(|| receiver.try_recv())
            .map(|queued| queued.frame.as_str().to_owned())
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn each_member_is_pinged_once_per_interval_in_its_unit_until_it_leaves() {
        let pinger = Arc::new(Pinger::new(INTERVAL, Arc::new(Hub::default())));
        let task = tokio::spawn(Arc::clone(&pinger).run());
        let (seconds, mut seconds_rx) = Outbox::new(64, usize::MAX);
        let (millis, mut millis_rx) = Outbox::new(64, usize::MAX);
        let a = pinger.join(1, seconds, TimestampPrecision::Seconds);
        let b = pinger.join(2, millis, TimestampPrecision::Milliseconds);
        tokio::time::sleep(INTERVAL * 5 + INTERVAL / 2).await;
        let (a_pings, b_pings) = (pings(&mut seconds_rx), pings(&mut millis_rx));
        assert!((5..=6).contains(&a_pings.len()), "{a_pings:?}");
        assert!((5..=6).contains(&b_pings.len()), "{b_pings:?}");
        let message = |frame: &str| -> u64 {
            let value: serde_json::Value = serde_json::from_str(frame).unwrap();
            assert_eq!(value["type"], "ping");
            value["message"].as_u64().unwrap()
        };
        assert!(message(&a_pings[0]) < 10_000_000_000, "seconds");
        assert!(message(&b_pings[0]) > 10_000_000_000, "milliseconds");
        drop(a);
        tokio::time::sleep(INTERVAL * 2).await;
        assert!(pings(&mut seconds_rx).is_empty(), "left");
        assert!(!pings(&mut millis_rx).is_empty(), "still a member");
        drop(b);
        assert!(pinger
            .slots
            .iter()
            .all(|slot| slot.lock().unwrap().is_empty()));
        task.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_ping_comes_between_half_and_one_and_a_half_intervals() {
        let pinger = Arc::new(Pinger::new(INTERVAL, Arc::new(Hub::default())));
        let task = tokio::spawn(Arc::clone(&pinger).run());
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut firsts = Vec::new();
        for session in 0..40 {
            let (outbox, mut receiver) = Outbox::new(64, usize::MAX);
            let start = Instant::now();
            let _member = pinger.join(session, outbox, TimestampPrecision::Seconds);
            while pings(&mut receiver).is_empty() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            let first = start.elapsed();
            // Read every 10 ms, so up to 10 ms late.
            let latest = INTERVAL * 3 / 2 + Duration::from_millis(10);
            assert!(first >= INTERVAL / 2 && first <= latest, "{first:?}");
            firsts.push(first.as_millis() / 100);
        }
        firsts.sort();
        firsts.dedup();
        assert!(
            firsts.len() > 4,
            "spread, not all at one moment: {firsts:?}"
        );
        task.abort();
    }

    #[test]
    fn members_are_spread_over_the_slots() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let _guard = runtime.enter();
        let pinger = Arc::new(Pinger::new(INTERVAL, Arc::new(Hub::default())));
        let members: Vec<_> = (0..200)
            .map(|session| pinger.join(session, Outbox::new(1, 1).0, TimestampPrecision::Seconds))
            .collect();
        let used = pinger
            .slots
            .iter()
            .filter(|slot| !slot.lock().unwrap().is_empty())
            .count();
        assert!(used > SLOTS / 2, "{used} slots");
        drop(members);
    }
}
