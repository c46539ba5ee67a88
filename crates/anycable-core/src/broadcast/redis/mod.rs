//! Redis as the engine between nodes: the legacy `redis` broadcast adapter (applications
//! `PUBLISH __anycable__ '<publication>'`, every node delivers to its own clients) and node-to-node
//! pub/sub (a broadcast made on one node is delivered there at once, then published so that every
//! other node delivers it too).
//! Delivery to other nodes is at most once: what is published while Redis is unreachable or
//! stalled, or while a node is disconnected from it, is lost to them.

mod envelope;
mod publisher;
mod subscriber;

use std::sync::Arc;

pub(crate) use publisher::RedisPublisher;
pub use publisher::QUEUE_CAPACITY;

use self::envelope::NodeId;
use self::subscriber::NodeListener;
pub(crate) use self::subscriber::{subscribe, Handler, Subscription};
use crate::broadcast::LocalDelivery;
use crate::redis_link::{redact, Link, RedisHealth};

/// The channel nodes share publications on when `pubsub` is `redis`.
pub(crate) const PUBSUB_CHANNEL: &str = "__anycable_pubsub__";

/// What to do with Redis, resolved from the options.
#[derive(Debug, Clone)]
pub struct RedisSettings {
    pub url: String,
    /// The broadcast adapter's channel (`__anycable__`), when the adapter is `redis`.
    pub broadcast_channel: Option<String>,
    /// Whether node-originated broadcasts go through Redis to every node.
    pub pubsub: bool,
}

impl RedisSettings {
    /// The connections these settings keep, for [`RedisHealth::new`].
    pub(crate) fn links(&self) -> Vec<Link> {
        let mut links = vec![Link::Subscription];
        if self.pubsub {
            links.push(Link::Publishing);
        }
        links
    }

    fn channels(&self) -> Vec<String> {
        let mut channels: Vec<String> = self.broadcast_channel.iter().cloned().collect();
        if self.pubsub {
            channels.push(PUBSUB_CHANNEL.to_owned());
        }
        channels
    }
}

/// Connects both connections (failing fast if Redis is unreachable), then keeps them alive in the
/// background until the returned tasks are dropped; `health` must cover [`RedisSettings::links`].
pub(crate) async fn start(
    settings: &RedisSettings,
    local: LocalDelivery,
    health: Arc<RedisHealth>,
) -> Result<(Option<RedisPublisher>, RedisTasks), String> {
    let client =
        redis::Client::open(settings.url.as_str()).map_err(|e| format!("invalid redisUrl: {e}"))?;
    let unreachable = |e| format!("cannot reach Redis at {}: {e}", redact(&settings.url));
    let channels = settings.channels();
    let subscription = subscribe(&client, &channels).await.map_err(unreachable)?;
    let node = NodeId::random();
    let (publisher, sender) = if settings.pubsub {
        let connection = publisher::connect(&client).await.map_err(unreachable)?;
        let (publisher, queued) = RedisPublisher::new(QUEUE_CAPACITY, Arc::clone(&health));
        let sender = tokio::spawn(publisher::forward(
            client.clone(),
            connection,
            queued,
            node.clone(),
            Arc::clone(&health),
        ));
        (Some(publisher), Some(sender))
    } else {
        (None, None)
    };
    let listener = Subscription {
        client,
        channels,
        link: Link::Subscription,
        name: "subscription",
        handler: NodeListener {
            node,
            local,
            log: health.log().clone(),
        },
        health,
    };
    let listener = tokio::spawn(listener.run(subscription));
    Ok((publisher, RedisTasks { listener, sender }))
}

/// The background tasks; dropping this stops them.
pub(crate) struct RedisTasks {
    listener: tokio::task::JoinHandle<()>,
    sender: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for RedisTasks {
    fn drop(&mut self) {
        self.listener.abort();
        if let Some(sender) = &self.sender {
            sender.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_follow_the_options() {
        let both = RedisSettings {
            url: String::new(),
            broadcast_channel: Some("__anycable__".into()),
            pubsub: true,
        };
        assert_eq!(both.channels(), ["__anycable__", PUBSUB_CHANNEL]);
        let adapter_only = RedisSettings {
            pubsub: false,
            ..both
        };
        assert_eq!(adapter_only.channels(), ["__anycable__"]);
    }
}
