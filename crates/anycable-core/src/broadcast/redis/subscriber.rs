//! The subscription connection: delivers what arrives on the subscribed channels to this node's
//! clients, pings Redis to notice a stall, and resubscribes with backoff when it fails.

use std::sync::Arc;

use futures_util::StreamExt;
use redis::aio::PubSub;

use super::envelope::{self, NodeId};
use super::PUBSUB_CHANNEL;
use crate::broadcast::{LocalDelivery, Publication};
use crate::redis_link::{
    within, Backoff, Failure, Link, Outage, RedisHealth, CONNECT_DEADLINE, PING_EVERY,
    REPLY_DEADLINE,
};

/// Connects and subscribes to `channels`.
pub(super) async fn subscribe(
    client: &redis::Client,
    channels: &[String],
) -> Result<PubSub, Failure> {
    within(CONNECT_DEADLINE, async {
        let mut pubsub = client.get_async_pubsub().await?;
        for channel in channels {
            pubsub.subscribe(channel).await?;
        }
        Ok(pubsub)
    })
    .await
}

/// What the listener needs besides the connection.
pub(super) struct Listener {
    pub client: redis::Client,
    pub channels: Vec<String>,
    pub node: NodeId,
    /// This node's subscribers (through the broker, which registers what other nodes publish).
    pub local: LocalDelivery,
    pub health: Arc<RedisHealth>,
}

impl Listener {
    /// Runs until aborted, starting with the subscription `first`.
    pub(super) async fn run(self, first: PubSub) {
        let mut subscription = Some(first);
        let mut outage = Outage::new("subscription");
        let mut backoff = Backoff::default();
        loop {
            let pubsub = match subscription.take() {
                Some(pubsub) => pubsub,
                None => match subscribe(&self.client, &self.channels).await {
                    Ok(pubsub) => {
                        outage.end();
                        self.health.set_up(Link::Subscription, true);
                        backoff.reset();
                        pubsub
                    }
                    Err(_) => {
                        tokio::time::sleep(backoff.next_delay()).await;
                        continue;
                    }
                },
            };
            let reason = self.receive(pubsub).await;
            self.health.set_up(Link::Subscription, false);
            outage.begin(reason);
        }
    }

    /// Delivers messages until the connection closes or a ping goes unanswered.
    async fn receive(&self, pubsub: PubSub) -> &'static str {
        let (mut sink, mut messages) = pubsub.split();
        let watchdog = async {
            loop {
                tokio::time::sleep(PING_EVERY).await;
                if let Err(failure) = within(REPLY_DEADLINE, sink.ping::<redis::Value>()).await {
                    return failure.reason();
                }
            }
        };
        let reader = async {
            while let Some(message) = messages.next().await {
                self.deliver(message.get_channel_name(), message.get_payload_bytes())
                    .await;
            }
            "connection closed"
        };
        tokio::select! {
            reason = watchdog => reason,
            reason = reader => reason,
        }
    }

    async fn deliver(&self, channel: &str, payload: &[u8]) {
        let batch = if channel == PUBSUB_CHANNEL {
            envelope::open(&self.node, payload)
        } else {
            Publication::parse_batch(payload)
        };
        match batch {
            Ok(batch) => {
                for publication in batch {
                    self.local.deliver_waiting(publication).await;
                }
            }
            Err(error) => eprintln!("anycable-rs: ignored a Redis message on {channel}: {error}"),
        }
    }
}
