//! This node's broadcasts on their way to the other nodes: a bounded queue that never makes the
//! caller wait, drained by one task over one connection in batches (one `PUBLISH` per batch), so
//! one node's broadcasts reach the others in order. What Redis cannot take in time is dropped and
//! counted: the publications were already delivered here, and other nodes get them at most once.

use std::sync::Arc;

use redis::aio::MultiplexedConnection;
use tokio::sync::mpsc;

use super::envelope::{EnvelopeWriter, NodeId};
use super::PUBSUB_CHANNEL;
use crate::broadcast::Publication;
use crate::redis_link::{
    within, Backoff, Failure, Link, Outage, RedisHealth, CONNECT_DEADLINE, PING_EVERY,
    REPLY_DEADLINE,
};

/// Publications waiting for Redis; beyond this they are dropped (and counted).
pub const QUEUE_CAPACITY: usize = 10_000;
/// At most this many publications in one `PUBLISH`…
const BATCH_PUBLICATIONS: usize = 256;
/// …and no more added once the message is this long.
const BATCH_BYTES: usize = 256 * 1024;

/// The handle `server.broadcast` and `POST /_broadcast` publish through.
#[derive(Clone)]
pub(crate) struct RedisPublisher {
    queue: mpsc::Sender<Publication>,
    health: Arc<RedisHealth>,
}

impl RedisPublisher {
    /// A publisher and the queue a [`forward`] task drains.
    pub(crate) fn new(
        capacity: usize,
        health: Arc<RedisHealth>,
    ) -> (RedisPublisher, mpsc::Receiver<Publication>) {
        let (queue, queued) = mpsc::channel(capacity);
        (RedisPublisher { queue, health }, queued)
    }

    /// Queues a publication (already delivered on this node) for the other nodes, without
    /// waiting: when the queue is full it is dropped and counted.
    pub(crate) fn publish(&self, publication: Publication) {
        if self.queue.try_send(publication).is_err() {
            self.health.count_dropped(1);
        }
    }
}

/// A publishing connection.
pub(super) async fn connect(client: &redis::Client) -> Result<MultiplexedConnection, Failure> {
    // Our own deadlines apply; the crate's response timeout would race them.
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(None)
        .set_response_timeout(None);
    within(
        CONNECT_DEADLINE,
        client.get_multiplexed_async_connection_with_config(&config),
    )
    .await
}

/// Publishes what is queued until every publisher handle is gone, reconnecting with backoff
/// when Redis fails or stalls; while it is unreachable, queued publications are dropped at once.
pub(super) async fn forward(
    client: redis::Client,
    first: MultiplexedConnection,
    mut queued: mpsc::Receiver<Publication>,
    node: NodeId,
    health: Arc<RedisHealth>,
) {
    let mut connection = Some(first);
    let mut outage = Outage::new("publishing", &health);
    let mut backoff = Backoff::default();
    loop {
        let mut live = match connection.take() {
            Some(live) => live,
            None => match connect(&client).await {
                Ok(live) => {
                    outage.end();
                    health.set_up(Link::Publishing, true);
                    backoff.reset();
                    live
                }
                Err(failure) => {
                    outage.begin(failure.reason());
                    let pause = tokio::time::sleep(backoff.next_delay());
                    if drop_until(pause, &mut queued, &health).await.is_none() {
                        return;
                    }
                    continue;
                }
            },
        };
        match publish_until_failure(&mut live, &mut queued, &node, &health).await {
            None => return,
            Some(failure) => {
                health.set_up(Link::Publishing, false);
                outage.begin(failure.reason());
            }
        }
    }
}

/// Sends batches (and pings when idle) until a command fails or stalls (`Some`) or the queue
/// closes (`None`).
async fn publish_until_failure(
    connection: &mut MultiplexedConnection,
    queued: &mut mpsc::Receiver<Publication>,
    node: &NodeId,
    health: &RedisHealth,
) -> Option<Failure> {
    loop {
        let first = match tokio::time::timeout(PING_EVERY, queued.recv()).await {
            Ok(publication) => publication?,
            Err(_) => {
                // Idle: make sure the connection still works before a broadcast needs it.
                let ping = redis::cmd("PING");
                if let Err(failure) =
                    within(REPLY_DEADLINE, ping.query_async::<()>(connection)).await
                {
                    return Some(failure);
                }
                continue;
            }
        };
        let mut envelope = EnvelopeWriter::new(node);
        envelope.push(&first);
        while envelope.count() < BATCH_PUBLICATIONS && envelope.len() < BATCH_BYTES {
            match queued.try_recv() {
                Ok(publication) => envelope.push(&publication),
                Err(_) => break,
            }
        }
        let count = envelope.count();
        let mut publish = redis::cmd("PUBLISH");
        publish.arg(PUBSUB_CHANNEL).arg(envelope.finish());
        if let Err(failure) = within(REPLY_DEADLINE, publish.query_async::<i64>(connection)).await {
            health.count_dropped(count);
            return Some(failure);
        }
    }
}

/// Drops (and counts) whatever is queued until `pause` ends; `None` once the queue closes.
async fn drop_until(
    pause: impl std::future::Future<Output = ()>,
    queued: &mut mpsc::Receiver<Publication>,
    health: &RedisHealth,
) -> Option<()> {
    tokio::pin!(pause);
    loop {
        tokio::select! {
            _ = &mut pause => return Some(()),
            publication = queued.recv() => {
                publication?;
                health.count_dropped(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::Log;

    #[test]
    fn a_full_queue_drops_and_counts_instead_of_waiting() {
        let health = Arc::new(RedisHealth::new(
            &[Link::Subscription, Link::Publishing],
            Log::stderr(),
        ));
        let (publisher, _queued) = RedisPublisher::new(3, Arc::clone(&health));
        for n in 0..10 {
            publisher.publish(Publication::new("s", n.to_string()).unwrap());
        }
        assert_eq!(health.stats().dropped, 7);
    }

    #[tokio::test]
    async fn while_redis_is_unreachable_the_queue_is_emptied_and_counted() {
        let health = Arc::new(RedisHealth::new(
            &[Link::Subscription, Link::Publishing],
            Log::stderr(),
        ));
        let (publisher, mut queued) = RedisPublisher::new(100, Arc::clone(&health));
        for n in 0..5 {
            publisher.publish(Publication::new("s", n.to_string()).unwrap());
        }
        let pause = tokio::time::sleep(std::time::Duration::from_millis(10));
        assert_eq!(drop_until(pause, &mut queued, &health).await, Some(()));
        assert_eq!(health.stats().dropped, 5);
        drop(publisher);
        assert_eq!(
            drop_until(std::future::pending(), &mut queued, &health).await,
            None
        );
    }
}
