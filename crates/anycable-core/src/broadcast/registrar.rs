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
