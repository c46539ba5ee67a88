//! For the broadcast tests: a subscribed outbox, publications, and a broker that fans out, which
//! records each `register_batch` call and fails every call while it is down.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::broadcast::Publication;
use crate::broker::{
    Broker, BrokerError, BrokerFuture, EntryAck, History, PresenceChange, PresenceInfo,
    PresenceLapse, Registered, Registration, StreamPosition,
};
use crate::hub::{Hub, Subscriber};
use crate::outbox::{Outbox, OutboxReceiver};

/// One publication as the broker got it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Got {
    pub stream: String,
    pub data: String,
    pub transient: bool,
}

/// A subscriber of `stream` on `hub`, with room for any number of frames.
pub(super) fn subscribed(hub: &Hub, stream: &str) -> OutboxReceiver {
    let (outbox, receiver) = Outbox::new(100_000, usize::MAX);
    let subscriber = Subscriber {
        sid: Arc::from("sid"),
        outbox,
    };
    hub.subscribe(stream, &Arc::from("id"), 1, subscriber);
    receiver
}

/// Publication number `n` of `stream` (its data is `n`).
pub(super) fn publication(stream: &str, n: usize, transient: bool) -> Publication {
    Publication {
        transient,
        ..Publication::new(stream, n.to_string()).unwrap()
    }
}

#[derive(Default)]
pub(super) struct FakeFanout {
    /// Each call's publications.
    pub calls: Mutex<Vec<Vec<Got>>>,
    pub acks: Mutex<Vec<EntryAck>>,
    pub down: AtomicBool,
    /// Whether entries are already taken by another node.
    pub taken: AtomicBool,
}

impl FakeFanout {
    pub(super) fn got(&self) -> Vec<Got> {
        self.calls.lock().unwrap().concat()
    }
}

fn unavailable<'a, T: Send + 'a>() -> BrokerFuture<'a, T> {
    Box::pin(std::future::ready(Err(BrokerError::Unavailable)))
}

impl Broker for FakeFanout {
    fn register<'a>(&'a self, _: &'a str, _: Arc<str>) -> BrokerFuture<'a, StreamPosition> {
        unavailable()
    }
    fn history_from<'a>(&'a self, _: &'a str, _: &'a str, _: u64) -> BrokerFuture<'a, History> {
        unavailable()
    }
    fn history_since<'a>(&'a self, _: &'a str, _: u64) -> BrokerFuture<'a, History> {
        unavailable()
    }
    fn store_session<'a>(&'a self, _: &'a str, _: String) -> BrokerFuture<'a, ()> {
        unavailable()
    }
    fn take_session<'a>(&'a self, _: &'a str) -> BrokerFuture<'a, Option<String>> {
        unavailable()
    }
    fn join_presence<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        _: &'a str,
        _: Option<&'a str>,
    ) -> BrokerFuture<'a, Option<PresenceChange>> {
        unavailable()
    }
    fn leave_presence<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
    ) -> BrokerFuture<'a, Option<PresenceChange>> {
        unavailable()
    }
    fn touch_presence<'a>(&'a self, _: &'a str) -> BrokerFuture<'a, ()> {
        unavailable()
    }
    fn presence<'a>(&'a self, _: &'a str) -> BrokerFuture<'a, PresenceInfo> {
        unavailable()
    }
    fn sweep(&self) -> BrokerFuture<'_, Vec<PresenceLapse>> {
        unavailable()
    }

    fn register_batch<'a>(
        &'a self,
        batch: &'a [Registration<'a>],
        ack: Option<&'a EntryAck>,
    ) -> BrokerFuture<'a, Registered> {
        let answer = if self.down.load(Ordering::SeqCst) {
            Err(BrokerError::Unavailable)
        } else if ack.is_some() && self.taken.load(Ordering::SeqCst) {
            Ok(Registered::AlreadyAcked)
        } else {
            self.acks.lock().unwrap().extend(ack.cloned());
            let mut calls = self.calls.lock().unwrap();
            let before = calls.iter().map(Vec::len).sum::<usize>() as u64;
            calls.push(
                batch
                    .iter()
                    .map(|publication| Got {
                        stream: publication.stream.to_owned(),
                        data: publication.data.to_string(),
                        transient: publication.transient,
                    })
                    .collect(),
            );
            let epoch: Arc<str> = Arc::from("fake");
            Ok(Registered::Positions(
                (1..=batch.len() as u64)
                    .map(|n| {
                        Some(StreamPosition {
                            epoch: Arc::clone(&epoch),
                            offset: before + n,
                        })
                    })
                    .collect(),
            ))
        };
        Box::pin(std::future::ready(answer))
    }

    fn fans_out(&self) -> bool {
        true
    }
}
