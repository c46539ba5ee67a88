//! The broker of one process: history, sessions and presence in memory, under one random epoch
//! drawn at start. Right for a single node; with several nodes each would have its own epoch.

mod presence;
mod sessions;
mod stream_log;
mod streams;

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

pub(crate) use sessions::MAX_CACHED_SESSIONS;

use super::epoch::new_epoch;
use super::settings::whole_seconds;
use super::{
    Broker, BrokerError, BrokerFuture, BrokerSettings, Clock, History, PresenceChange,
    PresenceInfo, PresenceLapse, StreamPosition, SystemClock,
};
use presence::PresenceRegistry;
use sessions::SessionCache;
use stream_log::Retention;
use streams::Streams;

/// An idle stream's counter outlives its history this many times over (as in the reference), so a
/// client that was up to date can resume with an empty history rather than be rejected.
const IDLE_STREAM_TTLS: u64 = 10;

/// The settings in whole seconds, as the broker uses them.
#[derive(Debug, Clone, Copy)]
struct Limits {
    history: Retention,
    idle_stream: u64,
    sessions_ttl: u64,
    presence_ttl: u64,
}

impl From<BrokerSettings> for Limits {
    fn from(settings: BrokerSettings) -> Limits {
        let history_ttl = whole_seconds(settings.history_ttl);
        Limits {
            history: Retention {
                limit: settings.history_limit,
                ttl: history_ttl,
            },
            idle_stream: history_ttl.saturating_mul(IDLE_STREAM_TTLS),
            sessions_ttl: whole_seconds(settings.sessions_ttl),
            presence_ttl: whole_seconds(settings.presence_ttl),
        }
    }
}

#[cfg(test)]
/// What a memory broker holds, for stats and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct MemoryStats {
    /// Streams with a counter (kept messages or not).
    pub streams: usize,
    /// Messages held in all histories.
    pub kept_messages: usize,
    pub cached_sessions: usize,
    /// Sessions holding presence somewhere.
    pub presence_sessions: usize,
    /// Present ids, summed over streams.
    pub presence_records: usize,
}

/// History, sessions and presence of one process. Calls answer at once (their futures are ready).
pub(crate) struct MemoryBroker<C: Clock = SystemClock> {
    epoch: Arc<str>,
    clock: C,
    limits: Limits,
    streams: Streams,
    sessions: SessionCache,
    presence: PresenceRegistry,
}

impl MemoryBroker {
    /// A broker on the system clock, with a new random epoch.
    pub(crate) fn new(settings: BrokerSettings) -> MemoryBroker {
        MemoryBroker::with_clock(settings, SystemClock)
    }
}

impl<C: Clock> MemoryBroker<C> {
    /// A broker reading the time from `clock`, with a new random epoch.
    pub(crate) fn with_clock(settings: BrokerSettings, clock: C) -> MemoryBroker<C> {
        MemoryBroker {
            epoch: new_epoch(),
            clock,
            limits: Limits::from(settings),
            streams: Streams::new(),
            sessions: SessionCache::with_capacity(MAX_CACHED_SESSIONS),
            presence: PresenceRegistry::default(),
        }
    }

    #[cfg(test)]
    /// This process's epoch.
    pub(crate) fn epoch(&self) -> &Arc<str> {
        &self.epoch
    }

    #[cfg(test)]
    pub(crate) fn stats(&self) -> MemoryStats {
        let (streams, kept_messages) = self.streams.counts();
        let (presence_sessions, presence_records) = self.presence.counts();
        MemoryStats {
            streams,
            kept_messages,
            cached_sessions: self.sessions.len(),
            presence_sessions,
            presence_records,
        }
    }

    fn history(&self, messages: Vec<super::KeptMessage>) -> History {
        History {
            epoch: Arc::clone(&self.epoch),
            messages,
        }
    }
}

/// An answer already there, as a broker future.
fn ready<'a, T: Send + 'a>(answer: Result<T, BrokerError>) -> BrokerFuture<'a, T> {
    Box::pin(std::future::ready(answer))
}

impl<C: Clock> Broker for MemoryBroker<C> {
    fn register<'a>(&'a self, stream: &'a str, data: Arc<str>) -> BrokerFuture<'a, StreamPosition> {
        let offset = self
            .streams
            .register(stream, data, self.clock.now(), self.limits.history);
        ready(Ok(StreamPosition {
            epoch: Arc::clone(&self.epoch),
            offset,
        }))
    }

    fn history_from<'a>(
        &'a self,
        stream: &'a str,
        epoch: &'a str,
        offset: u64,
    ) -> BrokerFuture<'a, History> {
        if epoch != &*self.epoch {
            return ready(Err(BrokerError::UnknownEpoch));
        }
        let now = self.clock.now();
        let messages = self
            .streams
            .after(stream, offset, now, self.limits.history.ttl);
        ready(messages.map(|messages| self.history(messages)))
    }

    fn history_since<'a>(&'a self, stream: &'a str, since: u64) -> BrokerFuture<'a, History> {
        let now = self.clock.now();
        let messages = self
            .streams
            .since(stream, since, now, self.limits.history.ttl);
        ready(Ok(self.history(messages)))
    }

    fn store_session<'a>(&'a self, sid: &'a str, snapshot: String) -> BrokerFuture<'a, ()> {
        let now = self.clock.now();
        self.sessions
            .store(sid, snapshot, now, self.limits.sessions_ttl);
        ready(Ok(()))
    }

    fn take_session<'a>(&'a self, sid: &'a str) -> BrokerFuture<'a, Option<String>> {
        ready(Ok(self.sessions.take(sid, self.clock.now())))
    }

    fn join_presence<'a>(
        &'a self,
        stream: &'a str,
        sid: &'a str,
        id: &'a str,
        info: Option<&'a str>,
    ) -> BrokerFuture<'a, Option<PresenceChange>> {
        let now = self.clock.now();
        ready(
            self.presence
                .join(stream, sid, id, info, now, self.limits.presence_ttl),
        )
    }

    fn leave_presence<'a>(
        &'a self,
        stream: &'a str,
        sid: &'a str,
    ) -> BrokerFuture<'a, Option<PresenceChange>> {
        ready(Ok(self.presence.leave(stream, sid)))
    }

    fn touch_presence<'a>(&'a self, sid: &'a str) -> BrokerFuture<'a, ()> {
        let now = self.clock.now();
        self.presence.touch(sid, now, self.limits.presence_ttl);
        ready(Ok(()))
    }

    fn presence<'a>(&'a self, stream: &'a str) -> BrokerFuture<'a, PresenceInfo> {
        ready(Ok(self.presence.info(stream)))
    }

    fn sweep(&self) -> BrokerFuture<'_, Vec<PresenceLapse>> {
        let now = self.clock.now();
        let limits = self.limits;
        self.streams
            .sweep(now, limits.history.ttl, limits.idle_stream);
        self.sessions.sweep(now);
        ready(Ok(self.presence.sweep(now)))
    }
}

/// Locks `mutex`, also after a panic elsewhere left it poisoned: every critical section here leaves
/// its data consistent between statements, so the data is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Gives back a map's memory once most of it is empty (a map never shrinks by itself).
fn shrink_if_sparse<K: Eq + Hash, V>(map: &mut HashMap<K, V>) {
    if map.capacity() > 64 && map.len() < map.capacity() / 4 {
        map.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests;
