//! A subscription connection: hands what arrives on its channels to a [`Handler`], one message at
//! a time, pings Redis to notice a stall, and resubscribes with backoff when it fails.

use std::future::Future;
use std::sync::Arc;

use futures_util::StreamExt;
use redis::aio::PubSub;

use super::envelope::{self, NodeId};
use super::PUBSUB_CHANNEL;
use crate::broadcast::{LocalDelivery, Publication};
use crate::log::{log, Log};
use crate::redis_link::{
    within, Backoff, Failure, Link, Outage, RedisHealth, CONNECT_DEADLINE, PING_EVERY,
    REPLY_DEADLINE,
};

/// What a subscription does with its messages.
pub(crate) trait Handler: Send + 'static {
    /// One message from `channel`; the next is read once this one is handled.
    fn handle(&mut self, channel: &str, payload: &[u8]) -> impl Future<Output = ()> + Send;

    /// Runs after a resubscription, before its first message is read (what was published while
    /// unsubscribed is lost to the subscription; a handler may fetch it elsewhere).
    fn resubscribed(&mut self) -> impl Future<Output = ()> + Send;
}

/// Connects and subscribes to `channels`.
pub(crate) async fn subscribe(
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

/// A subscription kept up until its task is aborted.
pub(crate) struct Subscription<H> {
    pub client: redis::Client,
    pub channels: Vec<String>,
    /// Which connection this is, for `stats()` and the outage log line.
    pub link: Link,
    pub name: &'static str,
    pub health: Arc<RedisHealth>,
    pub handler: H,
}

impl<H: Handler> Subscription<H> {
    /// Runs until aborted, starting with the subscription `first`.
    pub(crate) async fn run(mut self, first: PubSub) {
        let mut subscription = Some(first);
        let mut outage = Outage::new(self.name, &self.health);
        let mut backoff = Backoff::default();
        loop {
            let pubsub = match subscription.take() {
                Some(pubsub) => pubsub,
                None => match subscribe(&self.client, &self.channels).await {
                    Ok(pubsub) => {
                        self.handler.resubscribed().await;
                        outage.end();
                        self.health.set_up(self.link, true);
                        backoff.reset();
                        pubsub
                    }
                    Err(_) => {
                        tokio::time::sleep(backoff.next_delay()).await;
                        continue;
                    }
                },
            };
            let reason = receive(&mut self.handler, pubsub).await;
            self.health.set_up(self.link, false);
            outage.begin(reason);
        }
    }
}

/// Handles messages until the connection closes or a ping goes unanswered.
async fn receive(handler: &mut impl Handler, pubsub: PubSub) -> &'static str {
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
            handler
                .handle(message.get_channel_name(), message.get_payload_bytes())
                .await;
        }
        "connection closed"
    };
    tokio::select! {
        reason = watchdog => reason,
        reason = reader => reason,
    }
}

/// The broadcast adapter's and pub/sub's handler: publications go to this node's subscribers
/// (through the broker, which registers what other nodes publish).
pub(super) struct NodeListener {
    pub node: NodeId,
    pub local: LocalDelivery,
    pub log: Log,
}

impl Handler for NodeListener {
    async fn handle(&mut self, channel: &str, payload: &[u8]) {
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
            Err(error) => log!(
                self.log,
                Warn,
                "ignored a Redis message holding no valid publication",
                channel = channel,
                error = error,
            ),
        }
    }

    /// At most once: what was published meanwhile is lost.
    async fn resubscribed(&mut self) {}
}
