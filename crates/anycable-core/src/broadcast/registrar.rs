//! Registration before fan-out: with a broker, every kept publication gets its position (epoch and
//! offset) once, then goes to subscribers with it. One task registers in the order publications
//! were queued, so each stream's frames go out in offset order whoever published them and however
//! many publishers race.
//!
//! With the memory broker that task also delivers here; without a broker it only delivers, in
//! order, off the publisher's thread. With a broker that
//! [fans out](Broker::fans_out) (Redis), it only registers, in batches, and every node delivers
//! from the broker's channel; a batch that cannot be registered is delivered here without a
//! position (and counted), or, when the publisher waits for the outcome, reported.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::{batches, Publication};
use crate::broker::{Broker, BrokerError, EntryAck, Registered, StreamPosition};
use crate::hub::Hub;
use crate::log::{log, Log};
use crate::redis_link::RedisHealth;

/// Publications waiting for their position. Bounded so that a stalled broker (a Redis one) costs
/// bounded memory; a memory broker answers at once, so the queue stays near empty.
pub(crate) const REGISTRATION_QUEUE: usize = 65_536;

/// What the registration task is asked to do.
pub(crate) enum Job {
    /// `server.broadcast`, adapters: nobody waits for the outcome.
    Publish(Publication),
    /// HTTP, `redisx`: the outcome is reported; nothing is delivered when registration fails.
    Batch {
        batch: Vec<Publication>,
        ack: Option<EntryAck>,
        done: oneshot::Sender<Result<Registered, BrokerError>>,
    },
}

/// Delivery to this node's subscribers, through the broker first when there is one. Cheap to
/// clone: the HTTP endpoint, Node and the Redis listener each hold one.
///
/// Every publication goes through the one delivery task, even without a broker: a fan-out writes
/// to the clients' sockets (milliseconds for thousands of them), which must happen on the
/// runtime, never on Node's thread, and in the order the publications came.
#[derive(Clone)]
pub(crate) struct LocalDelivery {
    registrar: mpsc::Sender<Job>,
    /// Whether the broker delivers what it registers; transient publications then queue too, so
    /// that they reach every node in order with the kept ones.
    fans_out: bool,
}

/// The registration queue was full: the publication was not delivered.
#[derive(Debug, PartialEq, Eq)]
pub struct Overloaded;

impl std::fmt::Display for Overloaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("too many broadcasts are waiting for their history position")
    }
}

impl std::error::Error for Overloaded {}

impl LocalDelivery {
    /// Delivery through `broker` when there is one; its task runs until every clone of the
    /// returned value is dropped. `health` counts what a fanning-out broker could not take.
    pub(crate) fn new(
        hub: Arc<Hub>,
        broker: Option<Arc<dyn Broker>>,
        health: Option<Arc<RedisHealth>>,
        log: Log,
    ) -> LocalDelivery {
        let (registrar, queued) = mpsc::channel(REGISTRATION_QUEUE);
        let fans_out = match broker {
            Some(broker) if broker.fans_out() => {
                tokio::spawn(batches::register_in_batches(queued, hub, broker, health));
                true
            }
            broker => {
                tokio::spawn(register_in_order(queued, hub, broker, log));
                false
            }
        };
        LocalDelivery {
            registrar,
            fans_out,
        }
    }

    /// Whether the broker delivers what it registers to every node.
    pub(crate) fn fans_out(&self) -> bool {
        self.fans_out
    }

    /// Delivers without waiting (for Node, which must not block); fails only when the queue is
    /// full.
    pub(crate) fn deliver(&self, publication: Publication) -> Result<(), Overloaded> {
        self.registrar
            .try_send(Job::Publish(publication))
            .map_err(|_| Overloaded)
    }

    /// Delivers, waiting for room in the registration queue (the Redis adapter: the publisher
    /// waits, nothing is dropped).
    pub(crate) async fn deliver_waiting(&self, publication: Publication) {
        // Fails only when the delivery task is gone, i.e. the server is stopping.
        let _ = self.registrar.send(Job::Publish(publication)).await;
    }

    /// Registers `batch` (acknowledging `ack` in the same step, with a fanning-out broker) and
    /// says how it went: with the memory broker or none, once delivered here; with a fanning-out
    /// broker, once registered (every node then delivers it), or why not (nothing delivered).
    pub(crate) async fn deliver_confirmed(
        &self,
        batch: Vec<Publication>,
        ack: Option<EntryAck>,
    ) -> Result<Registered, BrokerError> {
        let (done, outcome) = oneshot::channel();
        let job = Job::Batch { batch, ack, done };
        // Either side is gone only when the server is stopping.
        self.registrar
            .send(job)
            .await
            .map_err(|_| BrokerError::Unavailable)?;
        outcome.await.unwrap_or(Err(BrokerError::Unavailable))
    }
}

/// Delivers `publication` to this node's subscribers.
pub(super) fn deliver(hub: &Hub, publication: &Publication, position: Option<&StreamPosition>) {
    hub.broadcast(
        &publication.stream,
        &publication.message,
        publication.exclude_socket.as_deref(),
        position,
    );
}

/// Memory (or no broker): registers each kept publication, then fans it out with its position,
/// one at a time; transient ones (all of them without a broker) go out without one, in turn.
async fn register_in_order(
    mut queued: mpsc::Receiver<Job>,
    hub: Arc<Hub>,
    broker: Option<Arc<dyn Broker>>,
    log: Log,
) {
    let deliver_one = async |publication: &Publication| match &broker {
        Some(broker) if !publication.transient => {
            register_and_deliver(&hub, &**broker, publication, &log).await
        }
        _ => {
            deliver(&hub, publication, None);
            None
        }
    };
    while let Some(job) = queued.recv().await {
        match job {
            Job::Publish(publication) => {
                deliver_one(&publication).await;
            }
            Job::Batch { batch, done, .. } => {
                let mut positions = Vec::with_capacity(batch.len());
                for publication in &batch {
                    positions.push(deliver_one(publication).await);
                }
                let _ = done.send(Ok(Registered::Positions(positions)));
            }
        }
    }
}

async fn register_and_deliver(
    hub: &Hub,
    broker: &dyn Broker,
    publication: &Publication,
    log: &Log,
) -> Option<StreamPosition> {
    let data: Arc<str> = Arc::from(publication.message.get());
    let position = match broker.register(&publication.stream, data).await {
        Ok(position) => Some(position),
        // Only a remote broker fails; the message still goes out live, without a position.
        Err(error) => {
            log!(
                log,
                Warn,
                "a broadcast was not kept in history",
                stream = publication.stream,
                error = error,
            );
            None
        }
    };
    deliver(hub, publication, position.as_ref());
    position
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broadcast::testing::{publication, subscribed};
    use crate::broker::memory::MemoryBroker;
    use crate::broker::BrokerSettings;
    use crate::outbox::OutboxReceiver;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_publishers_fan_out_each_stream_in_offset_order() {
        let hub = Arc::new(Hub::default());
        let mut receiver = subscribed(&hub, "s");
        let broker: Arc<dyn Broker> = Arc::new(MemoryBroker::new(BrokerSettings::default()));
        let local = LocalDelivery::new(Arc::clone(&hub), Some(broker), None, Log::stderr());
        let publishers: Vec<_> = (0..4)
            .map(|_| {
                let local = local.clone();
                tokio::spawn(async move {
                    for n in 0..250 {
                        if n % 2 == 0 {
                            local.deliver(publication("s", n, false)).unwrap();
                        } else {
                            local.deliver_waiting(publication("s", n, false)).await;
                        }
                    }
                })
            })
            .collect();
        for publisher in publishers {
            publisher.await.unwrap();
        }
        let mut offsets = Vec::new();
        while offsets.len() < 1000 {
            match receiver.try_recv() {
                Some(queued) => offsets.push(queued.position.expect("kept").offset),
                None => tokio::task::yield_now().await,
            }
        }
        assert_eq!(offsets, (1..=1000).collect::<Vec<u64>>());
    }

    /// What `receiver` gets once the delivery task has run: each frame's message and whether it
    /// carries a position.
    async fn delivered(receiver: &mut OutboxReceiver, count: usize) -> Vec<(u64, bool)> {
        let mut frames = Vec::new();
        while frames.len() < count {
            match receiver.try_recv() {
                Some(queued) => frames.push((
                    serde_json::from_str::<serde_json::Value>(queued.frame.as_str()).unwrap()
                        ["message"]
                        .as_u64()
                        .unwrap(),
                    queued.position.is_some(),
                )),
                None => tokio::task::yield_now().await,
            }
        }
        frames
    }

    // On a current-thread runtime the delivery task runs only when the test yields: nothing is
    // fanned out on the publisher's thread.
    #[tokio::test]
    async fn transient_publications_and_no_broker_go_out_in_turn_off_the_publishers_thread() {
        let hub = Arc::new(Hub::default());
        let mut receiver = subscribed(&hub, "s");
        let broker: Arc<dyn Broker> = Arc::new(MemoryBroker::new(BrokerSettings::default()));
        let with_broker = LocalDelivery::new(Arc::clone(&hub), Some(broker), None, Log::stderr());
        with_broker.deliver(publication("s", 1, false)).unwrap();
        with_broker.deliver(publication("s", 2, true)).unwrap();
        with_broker.deliver(publication("s", 3, false)).unwrap();
        assert!(
            receiver.try_recv().is_none(),
            "not on the publisher's thread"
        );
        assert_eq!(
            delivered(&mut receiver, 3).await,
            [(1, true), (2, false), (3, true)]
        );
        let without = LocalDelivery::new(Arc::clone(&hub), None, None, Log::stderr());
        without.deliver(publication("s", 4, false)).unwrap();
        assert!(
            receiver.try_recv().is_none(),
            "not on the publisher's thread"
        );
        assert_eq!(delivered(&mut receiver, 1).await, [(4, false)]);
    }

    // On a current-thread runtime the registration task cannot run while the test does not yield,
    // which stands for a broker that has stopped answering.
    #[tokio::test]
    async fn a_full_registration_queue_refuses_instead_of_queueing_more() {
        let hub = Arc::new(Hub::default());
        let broker: Arc<dyn Broker> = Arc::new(MemoryBroker::new(BrokerSettings::default()));
        let local = LocalDelivery::new(Arc::clone(&hub), Some(broker), None, Log::stderr());
        for n in 0..REGISTRATION_QUEUE {
            local.deliver(publication("s", n, false)).unwrap();
        }
        assert_eq!(local.deliver(publication("s", 0, false)), Err(Overloaded));
        // Transient ones queue too, to go out in turn with the kept ones.
        assert_eq!(local.deliver(publication("s", 0, true)), Err(Overloaded));
    }
}
