//! Registration before fan-out: with a broker, every kept publication gets its position (epoch and
//! offset) once, then goes to this node's subscribers with it. One task does both, in the order
//! publications were queued, so each stream's frames go out in offset order whoever published
//! them and however many publishers race.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::Publication;
use crate::broker::Broker;
use crate::hub::Hub;

/// Publications waiting for their position. Bounded so that a stalled broker (a Redis one) costs
/// bounded memory; a memory broker answers at once, so the queue stays near empty.
pub(crate) const REGISTRATION_QUEUE: usize = 65_536;

/// Delivery to this node's subscribers: straight to the hub, or through the broker first. Cheap to
/// clone: the HTTP endpoint, Node and the Redis listener each hold one.
#[derive(Clone)]
pub(crate) struct LocalDelivery {
    hub: Arc<Hub>,
    /// `None` without a broker (`broker: "none"`): no positions, no history.
    registrar: Option<mpsc::Sender<Publication>>,
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
    /// Delivery through `broker` when there is one; its registration task runs until every clone
    /// of the returned value is dropped.
    pub(crate) fn new(hub: Arc<Hub>, broker: Option<Arc<dyn Broker>>) -> LocalDelivery {
        let registrar = broker.map(|broker| {
            let (sender, queued) = mpsc::channel(REGISTRATION_QUEUE);
            tokio::spawn(register_in_order(queued, Arc::clone(&hub), broker));
            sender
        });
        LocalDelivery { hub, registrar }
    }

    /// Delivers without waiting (for Node, which must not block); fails only when the
    /// registration queue is full.
    pub(crate) fn deliver(&self, publication: Publication) -> Result<(), Overloaded> {
        match self.kept(publication) {
            Ok((registrar, publication)) => registrar.try_send(publication).map_err(|_| Overloaded),
            Err(()) => Ok(()),
        }
    }

    /// Delivers, waiting for room in the registration queue (HTTP and Redis: the publisher waits,
    /// nothing is dropped).
    pub(crate) async fn deliver_waiting(&self, publication: Publication) {
        if let Ok((registrar, publication)) = self.kept(publication) {
            // Fails only when the registration task is gone, i.e. the server is stopping.
            let _ = registrar.send(publication).await;
        }
    }

    /// A publication to register, with the queue to put it in; a transient one (or any without a
    /// broker) is delivered here and now, with no position.
    fn kept(
        &self,
        publication: Publication,
    ) -> Result<(&mpsc::Sender<Publication>, Publication), ()> {
        match &self.registrar {
            Some(registrar) if !publication.transient => Ok((registrar, publication)),
            _ => {
                self.hub.broadcast(
                    &publication.stream,
                    &publication.message,
                    publication.exclude_socket.as_deref(),
                    None,
                );
                Err(())
            }
        }
    }
}

/// Registers each publication, then fans it out with its position, one at a time.
async fn register_in_order(
    mut queued: mpsc::Receiver<Publication>,
    hub: Arc<Hub>,
    broker: Arc<dyn Broker>,
) {
    while let Some(publication) = queued.recv().await {
        let data: Arc<str> = Arc::from(publication.message.get());
        let position = match broker.register(&publication.stream, data).await {
            Ok(position) => Some(position),
            // Only a remote broker fails; the message still goes out live, without a position.
            Err(error) => {
                eprintln!(
                    "anycable-rs: a broadcast to {:?} was not kept in history: {error}",
                    publication.stream
                );
                None
            }
        };
        hub.broadcast(
            &publication.stream,
            &publication.message,
            publication.exclude_socket.as_deref(),
            position.as_ref(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::memory::MemoryBroker;
    use crate::broker::BrokerSettings;
    use crate::hub::Subscriber;
    use crate::outbox::{Outbox, OutboxReceiver};

    fn subscribed(hub: &Hub, stream: &str) -> OutboxReceiver {
        let (outbox, receiver) = Outbox::new(100_000, usize::MAX);
        let subscriber = Subscriber {
            sid: Arc::from("sid"),
            outbox,
        };
        hub.subscribe(stream, &Arc::from("id"), 1, subscriber);
        receiver
    }

    fn publication(stream: &str, n: usize, transient: bool) -> Publication {
        Publication {
            transient,
            ..Publication::new(stream, n.to_string()).unwrap()
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_publishers_fan_out_each_stream_in_offset_order() {
        let hub = Arc::new(Hub::default());
        let mut receiver = subscribed(&hub, "s");
        let broker: Arc<dyn Broker> = Arc::new(MemoryBroker::new(BrokerSettings::default()));
        let local = LocalDelivery::new(Arc::clone(&hub), Some(broker));
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

    #[tokio::test]
    async fn transient_publications_and_no_broker_go_out_at_once_without_a_position() {
        let hub = Arc::new(Hub::default());
        let mut receiver = subscribed(&hub, "s");
        let broker: Arc<dyn Broker> = Arc::new(MemoryBroker::new(BrokerSettings::default()));
        let with_broker = LocalDelivery::new(Arc::clone(&hub), Some(broker));
        with_broker.deliver(publication("s", 1, true)).unwrap();
        let queued = receiver.try_recv().expect("delivered before returning");
        assert!(queued.position.is_none());
        assert_eq!(queued.frame.as_str(), r#"{"identifier":"id","message":1}"#);
        let without = LocalDelivery::new(Arc::clone(&hub), None);
        without.deliver(publication("s", 2, false)).unwrap();
        assert!(receiver.try_recv().unwrap().position.is_none());
    }

    // On a current-thread runtime the registration task cannot run while the test does not yield,
    // which stands for a broker that has stopped answering.
    #[tokio::test]
    async fn a_full_registration_queue_refuses_instead_of_queueing_more() {
        let hub = Arc::new(Hub::default());
        let broker: Arc<dyn Broker> = Arc::new(MemoryBroker::new(BrokerSettings::default()));
        let local = LocalDelivery::new(Arc::clone(&hub), Some(broker));
        for n in 0..REGISTRATION_QUEUE {
            local.deliver(publication("s", n, false)).unwrap();
        }
        assert_eq!(local.deliver(publication("s", 0, false)), Err(Overloaded));
        // Transient publications need no position, so they still go out.
        assert_eq!(local.deliver(publication("s", 0, true)), Ok(()));
    }
}
