//! Every stream's log, in shards: a publication locks only its stream's shard, briefly, so
//! broadcasts to different streams rarely wait for each other.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::hash::RandomState;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::stream_log::{Retention, StreamLog};
use super::{lock, shrink_if_sparse};
use crate::broker::{BrokerError, KeptMessage};

/// Enough shards that two busy streams seldom share one on a machine with a few dozen cores.
const SHARDS: usize = 64;

/// Buckets of forgotten streams' highest offsets (32 KiB): a new stream shares its bucket with
/// few others, so it usually still starts at 1.
const HIGH_WATER_BUCKETS: usize = 4096;

type Shard = HashMap<Box<str>, StreamLog>;

pub(super) struct Streams {
    shards: Box<[Mutex<Shard>]>,
    hasher: RandomState,
    /// The highest offset reached by the forgotten streams of each bucket (by name). A stream
    /// starts above its bucket's, so an offset a client kept from a forgotten stream is never
    /// mistaken for a new message of the same name (the reference restarts such a stream at 1
    /// under the same epoch). A stream is always in the same shard and bucket, and both are read
    /// and raised under the shard's lock.
    forgotten_high_water: Box<[AtomicU64]>,
}

impl Streams {
    pub(super) fn new() -> Streams {
        Streams {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
            forgotten_high_water: (0..HIGH_WATER_BUCKETS).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn shard(&self, stream: &str) -> &Mutex<Shard> {
        let index = self.hasher.hash_one(stream) as usize % SHARDS;
        &self.shards[index]
    }

    /// The bucket of `stream`'s high-water mark (from other bits of the hash than the shard's).
    fn high_water(&self, stream: &str) -> &AtomicU64 {
        let index = (self.hasher.hash_one(stream) >> 32) as usize % HIGH_WATER_BUCKETS;
        &self.forgotten_high_water[index]
    }

    /// Registers `data` on `stream`; returns its offset.
    pub(super) fn register(
        &self,
        stream: &str,
        data: Arc<str>,
        now: u64,
        retention: Retention,
    ) -> u64 {
        let mut shard = lock(self.shard(stream));
        if let Some(log) = shard.get_mut(stream) {
            return log.register(data, now, retention);
        }
        let first = self.high_water(stream).load(Ordering::Acquire) + 1;
        let mut log = StreamLog::starting_at(first, now);
        let offset = log.register(data, now, retention);
        shard.insert(Box::from(stream), log);
        offset
    }

    /// The messages of `stream` after `offset`; an unknown stream cannot say what was missed.
    pub(super) fn after(
        &self,
        stream: &str,
        offset: u64,
        now: u64,
        ttl: u64,
    ) -> Result<Vec<KeptMessage>, BrokerError> {
        match lock(self.shard(stream)).get(stream) {
            Some(log) => log.after(offset, now, ttl),
            None => Err(BrokerError::HistoryMissing),
        }
    }

    /// The live messages of `stream` registered at or after `since`.
    pub(super) fn since(&self, stream: &str, since: u64, now: u64, ttl: u64) -> Vec<KeptMessage> {
        lock(self.shard(stream))
            .get(stream)
            .map_or_else(Vec::new, |log| log.since(since, now, ttl))
    }

    /// Drops expired messages, and forgets streams idle for `idle` seconds. One shard at a time.
    pub(super) fn sweep(&self, now: u64, ttl: u64, idle: u64) {
        for shard in self.shards.iter() {
            let mut shard = lock(shard);
            shard.retain(|stream, log| {
                log.expire(now, ttl);
                let forget = log.is_idle(now, ttl, idle);
                if forget {
                    self.high_water(stream)
                        .fetch_max(log.latest(), Ordering::AcqRel);
                }
                !forget
            });
            shrink_if_sparse(&mut shard);
        }
    }

    #[cfg(test)]
    /// How many streams are known and how many messages they hold.
    pub(super) fn counts(&self) -> (usize, usize) {
        self.shards.iter().fold((0, 0), |(streams, kept), shard| {
            let shard = lock(shard);
            (
                streams + shard.len(),
                kept + shard.values().map(StreamLog::kept_len).sum::<usize>(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RETENTION: Retention = Retention {
        limit: 100,
        ttl: 300,
    };

    #[test]
    fn each_stream_counts_from_one() {
        let streams = Streams::new();
        assert_eq!(streams.register("a", Arc::from("1"), 0, RETENTION), 1);
        assert_eq!(streams.register("b", Arc::from("1"), 0, RETENTION), 1);
        assert_eq!(streams.register("a", Arc::from("2"), 0, RETENTION), 2);
        assert_eq!(streams.counts(), (2, 3));
    }

    #[test]
    fn unknown_streams_have_no_history_to_resume_but_an_empty_since() {
        let streams = Streams::new();
        assert_eq!(
            streams.after("nope", 0, 0, 300),
            Err(BrokerError::HistoryMissing)
        );
        assert_eq!(streams.since("nope", 0, 0, 300), []);
    }

    #[test]
    fn a_forgotten_stream_starts_above_every_offset_given_before() {
        let streams = Streams::new();
        for _ in 0..5 {
            streams.register("a", Arc::from("m"), 0, RETENTION);
        }
        streams.sweep(3000, 300, 3000);
        assert_eq!(streams.counts(), (0, 0));
        // A client that saw offset 5 of the old stream must not take 6 for its next message.
        assert_eq!(
            streams.register("a", Arc::from("again"), 3000, RETENTION),
            6
        );
        assert_eq!(
            streams.after("a", 3, 3000, 300),
            Err(BrokerError::HistoryMissing)
        );
    }

    #[test]
    fn a_new_stream_starts_at_one_unless_it_shares_a_bucket_with_a_forgotten_one() {
        let streams = Streams::new();
        for n in 0..100 {
            streams.register(&format!("old{n}"), Arc::from("m"), 0, RETENTION);
        }
        streams.sweep(3000, 300, 3000);
        let starting_at_one = (0..100)
            .filter(|n| streams.register(&format!("new{n}"), Arc::from("m"), 3000, RETENTION) == 1)
            .count();
        // 100 dirty buckets of 4096: about 2 of 100 new streams share one.
        assert!(starting_at_one >= 90, "{starting_at_one}");
    }

    #[test]
    fn sweeping_keeps_live_streams_and_idle_counters_until_their_time() {
        let streams = Streams::new();
        streams.register("live", Arc::from("m"), 0, RETENTION);
        streams.register("quiet", Arc::from("m"), 0, RETENTION);
        streams.register("live", Arc::from("m"), 2000, RETENTION);
        streams.sweep(2000, 300, 3000);
        assert_eq!(streams.counts(), (2, 1));
        // The quiet stream's counter outlives its history, so a client up to date stays so.
        assert_eq!(streams.after("quiet", 1, 2000, 300), Ok(vec![]));
        streams.sweep(3000, 300, 3000);
        assert_eq!(streams.counts(), (1, 0));
        streams.sweep(5000, 300, 3000);
        assert_eq!(streams.counts(), (0, 0));
    }

    #[test]
    fn many_streams_swept_away_give_their_memory_back() {
        let streams = Streams::new();
        for n in 0..10_000 {
            streams.register(&format!("s{n}"), Arc::from("m"), 0, RETENTION);
        }
        streams.sweep(10_000, 300, 3000);
        assert_eq!(streams.counts(), (0, 0));
        let capacity: usize = streams.shards.iter().map(|s| lock(s).capacity()).sum();
        assert!(capacity < 10_000, "{capacity}");
    }
}
