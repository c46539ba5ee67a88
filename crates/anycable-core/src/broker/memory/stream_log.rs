//! One stream's offset counter and kept messages.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::broker::{BrokerError, KeptMessage};

/// How many messages a stream keeps and for how long (whole seconds).
#[derive(Debug, Clone, Copy)]
pub(super) struct Retention {
    pub limit: usize,
    pub ttl: u64,
}

/// A kept message. Its offset is not stored: the kept offsets are consecutive and end at the
/// stream's latest, so 24 bytes per message plus the shared data.
struct Kept {
    timestamp: u64,
    data: Arc<str>,
}

/// A stream's counter and history.
pub(super) struct StreamLog {
    /// The latest offset given.
    latest: u64,
    /// When the latest message was registered. Timestamps never go back within a stream (a clock
    /// set back repeats the last one), so kept messages are in time order and expire from the
    /// front.
    last_registered: u64,
    kept: VecDeque<Kept>,
}

impl StreamLog {
    /// A stream whose first message gets `first_offset` (at least 1).
    pub(super) fn starting_at(first_offset: u64, now: u64) -> StreamLog {
        StreamLog {
            latest: first_offset.max(1) - 1,
            last_registered: now,
            kept: VecDeque::new(),
        }
    }

    pub(super) fn latest(&self) -> u64 {
        self.latest
    }

    #[cfg(test)]
    /// How many messages are held (expired ones included until the next expiry).
    pub(super) fn kept_len(&self) -> usize {
        self.kept.len()
    }

    /// Gives `data` the next offset and keeps it, dropping what the limit and ttl no longer allow.
    pub(super) fn register(&mut self, data: Arc<str>, now: u64, retention: Retention) -> u64 {
        self.latest += 1;
        self.last_registered = self.last_registered.max(now);
        self.kept.push_back(Kept {
            timestamp: self.last_registered,
            data,
        });
        let over_limit = self.kept.len().saturating_sub(retention.limit);
        self.kept.drain(..over_limit);
        let expired = self.first_live(now, retention.ttl);
        self.kept.drain(..expired);
        self.latest
    }

    /// Drops the expired messages and gives back memory the buffer no longer needs (the sweep's
    /// work: registering only drops, so a growing buffer is not reallocated back and forth).
    pub(super) fn expire(&mut self, now: u64, ttl: u64) {
        let expired = self.first_live(now, ttl);
        self.kept.drain(..expired);
        if self.kept.is_empty() {
            self.kept = VecDeque::new();
        } else if self.kept.capacity() >= 4 * self.kept.len() {
            self.kept.shrink_to(2 * self.kept.len());
        }
    }

    /// Whether the stream can be forgotten: nothing kept, and no message for `idle` seconds.
    pub(super) fn is_idle(&self, now: u64, ttl: u64, idle: u64) -> bool {
        self.first_live(now, ttl) == self.kept.len()
            && self.last_registered.saturating_add(idle) <= now
    }

    /// The messages after `offset`, when none of them is missing.
    pub(super) fn after(
        &self,
        offset: u64,
        now: u64,
        ttl: u64,
    ) -> Result<Vec<KeptMessage>, BrokerError> {
        if offset > self.latest {
            return Err(BrokerError::OffsetAhead);
        }
        let first_kept = self.latest + 1 - self.kept.len() as u64;
        let first_live = self.first_live(now, ttl);
        // `offset + 1` is the first message the client lacks: it must still be here, or not exist
        // yet.
        if offset + 1 < first_kept + first_live as u64 {
            return Err(BrokerError::HistoryMissing);
        }
        let start = usize::try_from(offset + 1 - first_kept).unwrap_or(usize::MAX);
        Ok(self.messages_from(start))
    }

    /// The live messages registered at or after `since`.
    pub(super) fn since(&self, since: u64, now: u64, ttl: u64) -> Vec<KeptMessage> {
        let start = self
            .first_live(now, ttl)
            .max(self.kept.partition_point(|kept| kept.timestamp < since));
        self.messages_from(start)
    }

    /// The index of the first message still within its ttl.
    fn first_live(&self, now: u64, ttl: u64) -> usize {
        self.kept
            .partition_point(|kept| kept.timestamp.saturating_add(ttl) <= now)
    }

    fn messages_from(&self, start: usize) -> Vec<KeptMessage> {
        let first_kept = self.latest + 1 - self.kept.len() as u64;
        self.kept
            .iter()
            .enumerate()
            .skip(start)
            .map(|(index, kept)| KeptMessage {
                offset: first_kept + index as u64,
                data: Arc::clone(&kept.data),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RETENTION: Retention = Retention { limit: 3, ttl: 300 };

    fn log_with(count: u64, now: u64) -> StreamLog {
        let mut log = StreamLog::starting_at(1, now);
        for n in 1..=count {
            log.register(Arc::from(format!("m{n}")), now, RETENTION);
        }
        log
    }

    fn offsets(messages: &[KeptMessage]) -> Vec<u64> {
        messages.iter().map(|message| message.offset).collect()
    }

    #[test]
    fn offsets_count_from_the_first_and_data_is_kept() {
        let mut log = StreamLog::starting_at(1, 100);
        assert_eq!(log.register(Arc::from("a"), 100, RETENTION), 1);
        assert_eq!(log.register(Arc::from("b"), 100, RETENTION), 2);
        let messages = log.after(0, 100, 300).unwrap();
        assert_eq!(
            messages,
            [
                KeptMessage {
                    offset: 1,
                    data: Arc::from("a")
                },
                KeptMessage {
                    offset: 2,
                    data: Arc::from("b")
                }
            ]
        );
        assert_eq!(
            StreamLog::starting_at(7, 0).register(Arc::from("x"), 0, RETENTION),
            7
        );
    }

    #[test]
    fn the_limit_trims_the_oldest() {
        let log = log_with(5, 100);
        assert_eq!(log.kept_len(), 3);
        assert_eq!(offsets(&log.after(2, 100, 300).unwrap()), [3, 4, 5]);
        assert_eq!(offsets(&log.after(3, 100, 300).unwrap()), [4, 5]);
        assert_eq!(log.after(1, 100, 300), Err(BrokerError::HistoryMissing));
    }

    #[test]
    fn up_to_date_is_an_empty_success_and_ahead_is_an_error() {
        let log = log_with(5, 100);
        assert_eq!(log.after(5, 100, 300), Ok(vec![]));
        assert_eq!(log.after(6, 100, 300), Err(BrokerError::OffsetAhead));
        assert_eq!(log.after(u64::MAX, 100, 300), Err(BrokerError::OffsetAhead));
    }

    #[test]
    fn expired_messages_are_missing_but_an_up_to_date_client_is_fine() {
        let log = log_with(2, 100);
        // At 400 both are 300 s old: gone.
        assert_eq!(log.after(1, 400, 300), Err(BrokerError::HistoryMissing));
        assert_eq!(log.after(2, 400, 300), Ok(vec![]));
        assert_eq!(log.since(0, 400, 300), []);
        // A second earlier they are still there.
        assert_eq!(offsets(&log.after(0, 399, 300).unwrap()), [1, 2]);
    }

    #[test]
    fn expiry_goes_message_by_message() {
        let mut log = StreamLog::starting_at(1, 100);
        log.register(Arc::from("old"), 100, RETENTION);
        log.register(Arc::from("new"), 200, RETENTION);
        assert_eq!(log.after(0, 400, 300), Err(BrokerError::HistoryMissing));
        assert_eq!(offsets(&log.after(1, 400, 300).unwrap()), [2]);
        log.expire(400, 300);
        assert_eq!(log.kept_len(), 1);
        log.expire(500, 300);
        assert_eq!(log.kept_len(), 0);
    }

    #[test]
    fn since_is_inclusive_and_skips_expired() {
        let mut log = StreamLog::starting_at(1, 100);
        for now in [100, 110, 120] {
            log.register(Arc::from(format!("at {now}")), now, RETENTION);
        }
        assert_eq!(offsets(&log.since(110, 120, 300)), [2, 3]);
        assert_eq!(offsets(&log.since(0, 120, 300)), [1, 2, 3]);
        assert_eq!(log.since(121, 120, 300), []);
        assert_eq!(offsets(&log.since(0, 405, 300)), [2, 3]);
    }

    #[test]
    fn a_clock_set_back_keeps_timestamps_in_order() {
        let mut log = StreamLog::starting_at(1, 200);
        log.register(Arc::from("a"), 200, RETENTION);
        log.register(Arc::from("b"), 150, RETENTION);
        // "b" counts as registered at 200, so it is not older than "a".
        assert_eq!(offsets(&log.since(200, 200, 300)), [1, 2]);
        assert_eq!(offsets(&log.after(0, 499, 300).unwrap()), [1, 2]);
    }

    #[test]
    fn a_zero_limit_keeps_nothing_but_still_counts() {
        let mut log = StreamLog::starting_at(1, 0);
        let retention = Retention { limit: 0, ttl: 300 };
        assert_eq!(log.register(Arc::from("a"), 0, retention), 1);
        assert_eq!(log.register(Arc::from("b"), 0, retention), 2);
        assert_eq!(log.kept_len(), 0);
        assert_eq!(log.after(2, 0, 300), Ok(vec![]));
        assert_eq!(log.after(1, 0, 300), Err(BrokerError::HistoryMissing));
    }

    #[test]
    fn a_stream_is_idle_once_empty_and_quiet() {
        let log = log_with(1, 100);
        assert!(!log.is_idle(399, 300, 3000));
        assert!(!log.is_idle(400, 300, 3000));
        assert!(!log.is_idle(3099, 300, 3000));
        assert!(log.is_idle(3100, 300, 3000));
    }

    #[test]
    fn a_kept_message_costs_24_bytes_besides_its_shared_data() {
        assert_eq!(std::mem::size_of::<Kept>(), 24);
    }

    #[test]
    fn expiry_gives_back_the_buffer() {
        let mut log = StreamLog::starting_at(1, 0);
        let retention = Retention {
            limit: 100,
            ttl: 10,
        };
        for _ in 0..100 {
            log.register(Arc::from("m"), 0, retention);
        }
        log.register(Arc::from("late"), 5, retention);
        log.expire(10, 10);
        assert_eq!(log.kept_len(), 1);
        assert!(log.kept.capacity() <= 4, "{}", log.kept.capacity());
        log.expire(15, 10);
        assert_eq!(log.kept.capacity(), 0);
    }
}
