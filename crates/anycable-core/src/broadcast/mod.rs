//! Broadcasts: publications from Node, HTTP, Redis pub/sub and Redis Streams (`redisx`), parsed and
//! validated once, then delivered here or, with Redis pub/sub or the Redis broker, on every node.

mod batches;
mod cluster;
mod modes;
mod publication;
pub(crate) mod redis;
pub(crate) mod redisx;
mod registrar;
#[cfg(test)]
mod testing;

pub(crate) use cluster::start as start_fanout_listener;
pub(crate) use modes::{BroadcastAdapter, PubSub};
pub use publication::{Publication, PublicationError};
pub(crate) use registrar::LocalDelivery;
pub use registrar::Overloaded;

use self::redis::RedisPublisher;
use crate::broker::{BrokerError, EntryAck, Registered};

/// A batch the broker could not register (Redis is unavailable): nothing of it was delivered,
/// unless a part of a long batch was registered before the failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotRegistered(pub BrokerError);

/// What became of a `redisx` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryOutcome {
    /// Registered and acknowledged in one step.
    Registered,
    /// Another node took it: nothing was done.
    AlreadyTaken,
    /// Delivered here; the reader must acknowledge it itself (at least once).
    AckYourself,
}

/// Where a broadcast made on this node goes: to this node's subscribers (registered with the broker
/// first, when there is one), and with Redis pub/sub to every other node's (publications from
/// other nodes are then registered by this node too, one memory broker per node). With the Redis
/// broker, registration itself reaches every node.
#[derive(Clone)]
pub(crate) struct Dispatcher {
    local: LocalDelivery,
    redis: Option<RedisPublisher>,
}

impl Dispatcher {
    pub(crate) fn new(local: LocalDelivery, redis: Option<RedisPublisher>) -> Dispatcher {
        Dispatcher { local, redis }
    }

    /// Queues the publication for the other nodes (with pub/sub, never waiting for Redis), then
    /// delivers it here without waiting. This node skips its own copy when Redis echoes it back,
    /// so local delivery is exactly once.
    pub(crate) fn publish(&self, publication: Publication) -> Result<(), Overloaded> {
        self.to_other_nodes(&publication);
        self.local.deliver(publication)
    }

    /// HTTP: `Ok` once the batch is registered (a fanning-out broker: every node delivers it) or
    /// delivered here (the memory broker or none; with pub/sub, also queued for the other nodes).
    pub(crate) async fn publish_confirmed(
        &self,
        batch: Vec<Publication>,
    ) -> Result<(), NotRegistered> {
        for publication in &batch {
            self.to_other_nodes(publication);
        }
        self.local
            .deliver_confirmed(batch, None)
            .await
            .map(drop)
            .map_err(NotRegistered)
    }

    /// `redisx`: with a fanning-out broker, registered and acknowledged by one atomic step;
    /// otherwise as [`Dispatcher::publish_confirmed`] (delivered here before returning, so the
    /// reader's later `XACK` makes it at least once), then [`EntryOutcome::AckYourself`].
    pub(crate) async fn publish_entry(
        &self,
        batch: Vec<Publication>,
        ack: EntryAck,
    ) -> Result<EntryOutcome, NotRegistered> {
        if !self.local.fans_out() {
            self.publish_confirmed(batch).await?;
            return Ok(EntryOutcome::AckYourself);
        }
        match self.local.deliver_confirmed(batch, Some(ack)).await {
            Ok(Registered::AlreadyAcked) => Ok(EntryOutcome::AlreadyTaken),
            Ok(Registered::Positions(_)) => Ok(EntryOutcome::Registered),
            Err(error) => Err(NotRegistered(error)),
        }
    }

    fn to_other_nodes(&self, publication: &Publication) {
        if let Some(redis) = &self.redis {
            redis.publish(publication.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;
    use std::sync::Arc;

    use super::testing::FakeFanout;
    use super::*;
    use crate::broker::memory::MemoryBroker;
    use crate::broker::{Broker, BrokerSettings};
    use crate::hub::{Hub, Subscriber};
    use crate::log::Log;
    use crate::outbox::Outbox;

    fn entry() -> EntryAck {
        EntryAck {
            stream: "__anycable__".into(),
            group: "bx".into(),
            id: "1-1".into(),
        }
    }

    fn batch() -> Vec<Publication> {
        vec![Publication::new("s", "1".into()).unwrap()]
    }

    #[tokio::test]
    async fn a_fanning_out_broker_registers_and_acks_an_entry_in_one_step_once() {
        let fake = Arc::new(FakeFanout::default());
        let broker: Arc<dyn Broker> = Arc::clone(&fake) as Arc<dyn Broker>;
        let local = LocalDelivery::new(Arc::new(Hub::default()), Some(broker), None, Log::stderr());
        let dispatcher = Dispatcher::new(local, None);
        assert_eq!(
            dispatcher.publish_entry(batch(), entry()).await,
            Ok(EntryOutcome::Registered)
        );
        assert_eq!(*fake.acks.lock().unwrap(), [entry()]);
        fake.taken.store(true, Ordering::SeqCst);
        assert_eq!(
            dispatcher.publish_entry(batch(), entry()).await,
            Ok(EntryOutcome::AlreadyTaken)
        );
        assert_eq!(fake.got().len(), 1);
        fake.down.store(true, Ordering::SeqCst);
        assert_eq!(
            dispatcher.publish_entry(batch(), entry()).await,
            Err(NotRegistered(BrokerError::Unavailable))
        );
    }

    #[tokio::test]
    async fn with_the_memory_broker_an_entry_is_delivered_before_the_reader_acks_it() {
        let hub = Arc::new(Hub::default());
        let (outbox, mut receiver) = Outbox::new(10, usize::MAX);
        let subscriber = Subscriber {
            sid: Arc::from("sid"),
            outbox,
        };
        hub.subscribe("s", &Arc::from("id"), 1, subscriber);
        let broker: Arc<dyn Broker> = Arc::new(MemoryBroker::new(BrokerSettings::default()));
        let dispatcher = Dispatcher::new(
            LocalDelivery::new(hub, Some(broker), None, Log::stderr()),
            None,
        );
        assert_eq!(
            dispatcher.publish_entry(batch(), entry()).await,
            Ok(EntryOutcome::AckYourself)
        );
        let queued = receiver.try_recv().expect("delivered before returning");
        assert_eq!(queued.position.map(|p| p.offset), Some(1));
    }
}
