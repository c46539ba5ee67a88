//! Broadcasts: publications from Node, HTTP and Redis, parsed and validated once, then delivered
//! here or, with Redis pub/sub, on every node.

mod modes;
mod publication;
pub(crate) mod redis;

use std::sync::Arc;

pub(crate) use modes::{BroadcastAdapter, PubSub};
pub use publication::{Publication, PublicationError};

use self::redis::RedisPublisher;
use crate::hub::Hub;

/// Where a broadcast made on this node goes: to this node's subscribers, and with Redis pub/sub to
/// every other node's.
pub(crate) struct Broker {
    hub: Arc<Hub>,
    redis: Option<RedisPublisher>,
}

impl Broker {
    pub(crate) fn new(hub: Arc<Hub>, redis: Option<RedisPublisher>) -> Broker {
        Broker { hub, redis }
    }

    /// Delivers to this node's subscribers at once, then (with pub/sub) queues the publication
    /// for the other nodes, never waiting for Redis. This node skips its own copy when Redis
    /// echoes it back, so local delivery is exactly once.
    pub(crate) fn publish(&self, publication: Publication) {
        publication.deliver(&self.hub);
        if let Some(redis) = &self.redis {
            redis.publish(publication);
        }
    }
}
