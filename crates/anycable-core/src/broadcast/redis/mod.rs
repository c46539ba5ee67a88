//! Redis as the engine between nodes: the legacy `redis` broadcast adapter (applications
//! `PUBLISH __anycable__ '<publication>'`, every node delivers to its own clients) and node-to-node
//! pub/sub (a broadcast made on one node is delivered there at once, then published so that every
//! other node delivers it too).
//! Delivery to other nodes is at most once: what is published while Redis is unreachable or
//! stalled, or while a node is disconnected from it, is lost to them.

pub(super) mod deadline;
mod envelope;
mod health;
mod publisher;
mod subscriber;

use std::sync::Arc;
use std::time::Duration;

pub use health::RedisStats;
pub(crate) use health::{Link, Outage, RedisHealth};
pub(crate) use publisher::RedisPublisher;
pub use publisher::QUEUE_CAPACITY;

use self::envelope::NodeId;
use self::subscriber::Listener;
use crate::broadcast::LocalDelivery;

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
    /// The connections this uses, for [`RedisHealth::new`].
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
/// background until the returned tasks are dropped.
pub(crate) async fn start(
    settings: &RedisSettings,
    local: LocalDelivery,
    health: Arc<RedisHealth>,
) -> Result<(Option<RedisPublisher>, RedisTasks), String> {
    let client =
        redis::Client::open(settings.url.as_str()).map_err(|e| format!("invalid redisUrl: {e}"))?;
    let unreachable = |e| format!("cannot reach Redis at {}: {e}", redact(&settings.url));
    let channels = settings.channels();
    let subscription = subscriber::subscribe(&client, &channels)
        .await
        .map_err(unreachable)?;
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
    let listener = Listener {
        client,
        channels,
        node,
        local,
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

/// How often each connection asks an otherwise quiet Redis whether it is still there; with the
/// reply deadline (2 s), a stall is noticed within 3 s.
pub(super) const PING_EVERY: Duration = Duration::from_secs(1);

/// Reconnect delays: from 100 ms, doubling up to 2 s, so a Redis that comes back is used again
/// within a few seconds without hammering one that stays away.
pub(super) struct Backoff {
    next: Duration,
}

impl Backoff {
    const MIN: Duration = Duration::from_millis(100);
    const MAX: Duration = Duration::from_secs(2);

    pub(super) fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(Backoff::MAX);
        delay
    }

    pub(super) fn reset(&mut self) {
        self.next = Backoff::MIN;
    }
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff { next: Backoff::MIN }
    }
}

/// The URL without its password, for messages.
pub(super) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("redis://:hunter2@cache:6379/0"),
            "redis://***@cache:6379/0"
        );
        assert_eq!(redact("redis://localhost:6379"), "redis://localhost:6379");
    }

    #[test]
    fn reconnect_delays_double_up_to_a_cap_and_reset() {
        let mut backoff = Backoff::default();
        let delays: Vec<_> = (0..7).map(|_| backoff.next_delay().as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1600, 2000, 2000]);
        backoff.reset();
        assert_eq!(backoff.next_delay(), Backoff::MIN);
    }

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
