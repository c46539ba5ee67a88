//! Broadcasts: publications from Node, HTTP and Redis, parsed and validated once, then delivered
//! here or, with Redis pub/sub, on every node.

mod publication;
pub mod redis;

use std::sync::Arc;

pub use publication::{Publication, PublicationError};

use self::redis::RedisPublisher;
use crate::hub::Hub;

/// Where a broadcast made on this node goes: straight to this node's subscribers, or through
/// Redis to every node's.
pub struct Broker {
    hub: Arc<Hub>,
    redis: Option<RedisPublisher>,
}

impl Broker {
    pub fn new(hub: Arc<Hub>, redis: Option<RedisPublisher>) -> Broker {
        Broker { hub, redis }
    }

    pub fn publish(&self, publication: Publication) {
        match &self.redis {
            Some(redis) => {
                if let Err(unsent) = redis.publish(publication) {
                    unsent.deliver(&self.hub);
                }
            }
            None => {
                publication.deliver(&self.hub);
            }
        }
    }
}
