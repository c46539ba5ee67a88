//! The memory broker through the `Broker` interface, with a clock the tests move.

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use futures_util::FutureExt;

use super::*;
use crate::broker::clock::manual::ManualClock;
use crate::broker::KeptMessage;

const START: u64 = 1_800_000_000;

fn broker_with(settings: BrokerSettings) -> (MemoryBroker<ManualClock>, ManualClock) {
    let clock = ManualClock::at(START);
    (MemoryBroker::with_clock(settings, clock.clone()), clock)
}

fn broker() -> (MemoryBroker<ManualClock>, ManualClock) {
    broker_with(BrokerSettings::default())
}

/// The memory broker never waits: every answer is there when asked.
fn answer<T>(future: BrokerFuture<'_, T>) -> Result<T, BrokerError> {
    future
        .now_or_never()
        .expect("the memory broker answers at once")
}

fn publish(broker: &impl Broker, stream: &str, data: &str) -> StreamPosition {
    answer(broker.register(stream, Arc::from(data))).unwrap()
}

fn offsets(history: &History) -> Vec<u64> {
    history
        .messages
        .iter()
        .map(|message| message.offset)
        .collect()
}

#[test]
fn publications_get_the_epoch_and_offsets_from_one_per_stream() {
    let (broker, _) = broker();
    let first = publish(&broker, "chat_42", "{\"text\":\"hi\"}");
    assert_eq!(first.epoch, *broker.epoch());
    assert_eq!(first.epoch.len(), 4);
    assert_eq!(first.offset, 1);
    assert_eq!(publish(&broker, "chat_42", "2").offset, 2);
    assert_eq!(publish(&broker, "chat_43", "1").offset, 1);
    assert_eq!(publish(&broker, "chat_42", "3").epoch, first.epoch);
}

#[test]
fn each_broker_has_its_own_epoch() {
    let epochs: std::collections::HashSet<Arc<str>> =
        (0..20).map(|_| Arc::clone(broker().0.epoch())).collect();
    assert!(epochs.len() > 1);
}

#[test]
fn history_from_an_offset_replays_what_followed_in_order() {
    let (broker, _) = broker();
    let epoch = publish(&broker, "chat", "m1").epoch;
    publish(&broker, "chat", "m2");
    publish(&broker, "chat", "m3");
    let history = answer(broker.history_from("chat", &epoch, 1)).unwrap();
    assert_eq!(history.epoch, epoch);
    assert_eq!(
        history.messages,
        [
            KeptMessage {
                offset: 2,
                data: Arc::from("m2")
            },
            KeptMessage {
                offset: 3,
                data: Arc::from("m3")
            }
        ]
    );
}

#[test]
fn kept_data_is_the_registered_data_not_a_copy() {
    let (broker, _) = broker();
    let data: Arc<str> = Arc::from("{\"big\":true}");
    let epoch = answer(broker.register("chat", Arc::clone(&data)))
        .unwrap()
        .epoch;
    let history = answer(broker.history_from("chat", &epoch, 0)).unwrap();
    assert!(Arc::ptr_eq(&history.messages[0].data, &data));
}

#[test]
fn an_up_to_date_client_gets_an_empty_history() {
    let (broker, _) = broker();
    let position = publish(&broker, "chat", "m1");
    let history = answer(broker.history_from("chat", &position.epoch, position.offset)).unwrap();
    assert_eq!(history.messages, []);
}

#[test]
fn another_epoch_is_rejected() {
    let (broker, _) = broker();
    publish(&broker, "chat", "m1");
    // Five characters: never this broker's four-character epoch.
    assert_eq!(
        answer(broker.history_from("chat", "zzzzz", 0)),
        Err(BrokerError::UnknownEpoch)
    );
}

#[test]
fn an_offset_beyond_the_latest_is_rejected() {
    let (broker, _) = broker();
    let epoch = publish(&broker, "chat", "m1").epoch;
    assert_eq!(
        answer(broker.history_from("chat", &epoch, 51)),
        Err(BrokerError::OffsetAhead)
    );
}

#[test]
fn a_stream_never_published_has_no_history_from_an_offset() {
    let (broker, _) = broker();
    let epoch = Arc::clone(broker.epoch());
    assert_eq!(
        answer(broker.history_from("never", &epoch, 3)),
        Err(BrokerError::HistoryMissing)
    );
}

#[test]
fn the_history_limit_trims_and_a_gap_is_rejected() {
    let (broker, _) = broker_with(BrokerSettings {
        history_limit: 3,
        ..BrokerSettings::default()
    });
    let epoch = publish(&broker, "chat", "m1").epoch;
    for data in ["m2", "m3", "m4", "m5"] {
        publish(&broker, "chat", data);
    }
    // Offsets 3..5 are kept: a client at 1 lacks 2, which is gone.
    assert_eq!(
        answer(broker.history_from("chat", &epoch, 1)),
        Err(BrokerError::HistoryMissing)
    );
    // A client at 2 lacks only 3..5, all kept (the reference rejects this one; decided item 4).
    let history = answer(broker.history_from("chat", &epoch, 2)).unwrap();
    assert_eq!(offsets(&history), [3, 4, 5]);
    let history = answer(broker.history_from("chat", &epoch, 3)).unwrap();
    assert_eq!(offsets(&history), [4, 5]);
}

#[test]
fn expired_messages_are_gone_from_both_kinds_of_request() {
    let (broker, clock) = broker_with(BrokerSettings {
        history_ttl: Duration::from_secs(2),
        ..BrokerSettings::default()
    });
    let epoch = publish(&broker, "chat", "m1").epoch;
    clock.advance(1);
    publish(&broker, "chat", "m2");
    clock.advance(1);
    // m1 is 2 s old: expired; m2 is still kept.
    assert_eq!(
        answer(broker.history_from("chat", &epoch, 0)),
        Err(BrokerError::HistoryMissing)
    );
    let history = answer(broker.history_from("chat", &epoch, 1)).unwrap();
    assert_eq!(offsets(&history), [2]);
    let history = answer(broker.history_since("chat", START - 60)).unwrap();
    assert_eq!(offsets(&history), [2]);
    clock.advance(2);
    assert_eq!(
        answer(broker.history_since("chat", START - 60))
            .unwrap()
            .messages,
        []
    );
    // Up to date with nothing kept: nothing is missing.
    assert_eq!(
        answer(broker.history_from("chat", &epoch, 2))
            .unwrap()
            .messages,
        []
    );
}

#[test]
fn history_since_is_inclusive_in_seconds() {
    let (broker, clock) = broker();
    publish(&broker, "chat", "at start");
    clock.advance(10);
    publish(&broker, "chat", "ten seconds later");
    let history = answer(broker.history_since("chat", START + 10)).unwrap();
    assert_eq!(offsets(&history), [2]);
    assert_eq!(history.epoch, *broker.epoch());
    let history = answer(broker.history_since("chat", START)).unwrap();
    assert_eq!(offsets(&history), [1, 2]);
    let history = answer(broker.history_since("chat", START + 11)).unwrap();
    assert_eq!(history.messages, []);
}

#[test]
fn history_since_of_an_unknown_stream_is_an_empty_success() {
    let (broker, _) = broker();
    let history = answer(broker.history_since("never", 0)).unwrap();
    assert_eq!(history.messages, []);
    assert_eq!(history.epoch, *broker.epoch());
}

#[test]
fn an_idle_stream_keeps_counting_until_ten_history_ttls_pass() {
    let (broker, clock) = broker_with(BrokerSettings {
        history_ttl: Duration::from_secs(10),
        ..BrokerSettings::default()
    });
    let epoch = publish(&broker, "chat", "m1").epoch;
    clock.advance(99);
    answer(broker.sweep()).unwrap();
    assert_eq!(broker.stats().streams, 1);
    assert_eq!(broker.stats().kept_messages, 0);
    assert_eq!(
        answer(broker.history_from("chat", &epoch, 1))
            .unwrap()
            .messages,
        []
    );
    assert_eq!(publish(&broker, "chat", "m2").offset, 2);
    clock.advance(100);
    answer(broker.sweep()).unwrap();
    assert_eq!(broker.stats().streams, 0);
    // Forgotten: a client at offset 2 cannot know what it missed, and new offsets continue above.
    assert_eq!(
        answer(broker.history_from("chat", &epoch, 2)),
        Err(BrokerError::HistoryMissing)
    );
    assert_eq!(publish(&broker, "chat", "m3").offset, 3);
}

#[test]
fn concurrent_publications_to_one_stream_get_distinct_consecutive_offsets() {
    let (broker, _) = broker_with(BrokerSettings {
        history_limit: 1000,
        ..BrokerSettings::default()
    });
    let broker = Arc::new(broker);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let broker = Arc::clone(&broker);
            thread::spawn(move || {
                (0..200)
                    .map(|_| publish(&*broker, "chat", "m").offset)
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all: Vec<u64> = threads
        .into_iter()
        .flat_map(|thread| thread.join().unwrap())
        .collect();
    all.sort_unstable();
    assert_eq!(all, (1..=800).collect::<Vec<_>>());
    let history = answer(broker.history_from("chat", &Arc::clone(broker.epoch()), 0)).unwrap();
    assert_eq!(offsets(&history), (1..=800).collect::<Vec<_>>());
}

#[test]
fn a_cached_session_is_restored_once() {
    let (broker, _) = broker();
    answer(broker.store_session("s1", "{\"ids\":\"u1\"}".into())).unwrap();
    assert_eq!(
        answer(broker.take_session("s1")).unwrap().as_deref(),
        Some("{\"ids\":\"u1\"}")
    );
    assert_eq!(answer(broker.take_session("s1")).unwrap(), None);
    assert_eq!(answer(broker.take_session("never")).unwrap(), None);
}

#[test]
fn a_cached_session_expires_after_sessions_ttl() {
    let (broker, clock) = broker_with(BrokerSettings {
        sessions_ttl: Duration::from_secs(300),
        ..BrokerSettings::default()
    });
    answer(broker.store_session("early", "a".into())).unwrap();
    clock.advance(200);
    answer(broker.store_session("late", "b".into())).unwrap();
    clock.advance(100);
    assert_eq!(answer(broker.take_session("early")).unwrap(), None);
    assert_eq!(
        answer(broker.take_session("late")).unwrap().as_deref(),
        Some("b")
    );
}

#[test]
fn a_zero_sessions_ttl_caches_nothing() {
    let (broker, _) = broker_with(BrokerSettings {
        sessions_ttl: Duration::ZERO,
        ..BrokerSettings::default()
    });
    answer(broker.store_session("s1", "a".into())).unwrap();
    assert_eq!(broker.stats().cached_sessions, 0);
    assert_eq!(answer(broker.take_session("s1")).unwrap(), None);
}

#[test]
fn presence_joins_and_leaves_through_the_interface() {
    let (broker, _) = broker();
    assert_eq!(
        answer(broker.join_presence("chat", "s1", "u1", Some("{\"name\":\"Ann\"}"))).unwrap(),
        Some(PresenceChange::Join {
            id: Arc::from("u1"),
            info: Some(Arc::from("{\"name\":\"Ann\"}"))
        })
    );
    assert_eq!(
        answer(broker.join_presence("chat", "s2", "u1", None)).unwrap(),
        None
    );
    let info = answer(broker.presence("chat")).unwrap();
    assert_eq!(info.total(), 1);
    assert_eq!(&*info.records[0].id, "u1");
    assert_eq!(answer(broker.leave_presence("chat", "s1")).unwrap(), None);
    assert_eq!(
        answer(broker.leave_presence("chat", "s2")).unwrap(),
        Some(PresenceChange::Leave {
            id: Arc::from("u1")
        })
    );
    assert_eq!(answer(broker.presence("chat")).unwrap().total(), 0);
    assert_eq!(
        answer(broker.join_presence("chat", "s1", "u1", Some(&"x".repeat(5000)))),
        Err(BrokerError::PresenceInfoTooLarge)
    );
}

#[test]
fn a_disconnected_sessions_presence_lapses_after_the_presence_ttl() {
    let (broker, clock) = broker_with(BrokerSettings {
        presence_ttl: Duration::from_secs(2),
        ..BrokerSettings::default()
    });
    answer(broker.join_presence("chat", "s1", "u1", None)).unwrap();
    answer(broker.join_presence("chat", "s2", "u2", None)).unwrap();
    // s2 stays connected and touches every second; s1 disconnects (its last touch) now.
    answer(broker.touch_presence("s1")).unwrap();
    clock.advance(1);
    answer(broker.touch_presence("s2")).unwrap();
    assert_eq!(answer(broker.sweep()).unwrap(), []);
    clock.advance(1);
    answer(broker.touch_presence("s2")).unwrap();
    assert_eq!(
        answer(broker.sweep()).unwrap(),
        [PresenceLapse {
            stream: Arc::from("chat"),
            id: Arc::from("u1")
        }]
    );
    let info = answer(broker.presence("chat")).unwrap();
    assert_eq!(info.total(), 1);
    assert_eq!(&*info.records[0].id, "u2");
}

#[test]
fn sweeping_frees_everything_that_expired() {
    let (broker, clock) = broker_with(BrokerSettings {
        history_ttl: Duration::from_secs(10),
        sessions_ttl: Duration::from_secs(10),
        presence_ttl: Duration::from_secs(10),
        ..BrokerSettings::default()
    });
    for n in 0..100 {
        let stream = format!("stream-{n}");
        publish(&broker, &stream, "m");
        answer(broker.store_session(&format!("s{n}"), "snapshot".into())).unwrap();
        answer(broker.join_presence(&stream, &format!("s{n}"), "u", None)).unwrap();
    }
    assert_eq!(
        broker.stats(),
        MemoryStats {
            streams: 100,
            kept_messages: 100,
            cached_sessions: 100,
            presence_sessions: 100,
            presence_records: 100,
        }
    );
    clock.advance(10);
    assert_eq!(answer(broker.sweep()).unwrap().len(), 100);
    assert_eq!(
        broker.stats(),
        MemoryStats {
            streams: 100,
            ..MemoryStats::default()
        }
    );
    clock.advance(90);
    answer(broker.sweep()).unwrap();
    assert_eq!(broker.stats(), MemoryStats::default());
}

#[tokio::test]
async fn the_memory_broker_serves_as_a_shared_dyn_broker_across_tasks() {
    let broker: Arc<dyn Broker> = Arc::new(MemoryBroker::new(BrokerSettings::default()));
    let publisher = Arc::clone(&broker);
    let position = tokio::spawn(async move { publisher.register("chat", Arc::from("m1")).await })
        .await
        .unwrap()
        .unwrap();
    let history = broker
        .history_from("chat", &position.epoch, 0)
        .await
        .unwrap();
    assert_eq!(offsets(&history), [1]);
}
