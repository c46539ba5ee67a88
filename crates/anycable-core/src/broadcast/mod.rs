//! Broadcasts: publications from Node, HTTP, Redis pub/sub and Redis Streams (`redisx`), parsed and
//! validated once, then delivered here or, with Redis pub/sub, on every node.

mod modes;
mod publication;
pub(crate) mod redis;
pub(crate) mod redisx;
mod registrar;

pub(crate) use modes::{BroadcastAdapter, PubSub};
pub use publication::{Publication, PublicationError};
pub(crate) use registrar::LocalDelivery;
pub use registrar::Overloaded;

use self::redis::RedisPublisher;

/// Where a broadcast made on this node goes: to this node's subscribers (registered with the broker
/// first, when there is one), and with Redis pub/sub to every other node's. Publications from other
/// nodes are registered by this node too (one broker per node until the cluster broker).
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

    /// As [`Dispatcher::publish`], but waits for room to register it rather than fail.
    pub(crate) async fn publish_waiting(&self, publication: Publication) {
        self.to_other_nodes(&publication);
        self.local.deliver_waiting(publication).await;
    }

    /// One `redisx` entry's publications, in order: queued for the other nodes (with pub/sub) and
    /// for this node's, waiting for room. Says what is left to do with the entry.
    pub(crate) async fn publish_entry(&self, batch: Vec<Publication>) -> EntryOutcome {
        for publication in batch {
            self.publish_waiting(publication).await;
        }
        EntryOutcome::AckYourself
    }

    fn to_other_nodes(&self, publication: &Publication) {
        if let Some(redis) = &self.redis {
            redis.publish(publication.clone());
        }
    }
}

/// What the `redisx` reader still has to do with an entry once [`Dispatcher::publish_entry`] took
/// its publications.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum EntryOutcome {
    /// The publications are on their way (nothing here acknowledges the entry): the reader
    /// acknowledges and deletes it. A node that dies in between leaves it pending, and the next
    /// reader delivers it again: at least once.
    AckYourself,
}
