//! Redis as the engine between nodes: the legacy `redis` broadcast adapter (applications
//! `PUBLISH __anycable__ '<publication>'`, every node delivers to its own clients) and node-to-node
//! pub/sub (a broadcast that reaches one node is published so that every node delivers it).
//! Delivery is at most once: what is published while a node is disconnected is lost to it.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, PubSub};
use redis::AsyncCommands;
use tokio::sync::mpsc;

use super::Publication;
use crate::hub::Hub;

/// The channel nodes share publications on when `pubsub` is `redis`.
pub const PUBSUB_CHANNEL: &str = "__anycable_pubsub__";

const RECONNECT_MIN: Duration = Duration::from_millis(100);
const RECONNECT_MAX: Duration = Duration::from_secs(5);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(1);

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
    fn channels(&self) -> Vec<String> {
        let mut channels: Vec<String> = self.broadcast_channel.iter().cloned().collect();
        if self.pubsub {
            channels.push(PUBSUB_CHANNEL.to_owned());
        }
        channels
    }
}

/// A publisher handle: publications queued here go out to Redis in order, or are delivered locally
/// when Redis cannot take them.
#[derive(Clone)]
pub struct RedisPublisher {
    queue: mpsc::UnboundedSender<Publication>,
}

impl RedisPublisher {
    pub fn publish(&self, publication: Publication) -> Result<(), Publication> {
        self.queue.send(publication).map_err(|failed| failed.0)
    }
}

/// Connects (failing fast if Redis is unreachable), then keeps a subscription connection and a
/// publishing connection alive in the background until the returned handles are dropped.
pub async fn start(
    settings: &RedisSettings,
    hub: Arc<Hub>,
) -> Result<(Option<RedisPublisher>, RedisTasks), String> {
    let client =
        redis::Client::open(settings.url.as_str()).map_err(|e| format!("invalid redisUrl: {e}"))?;
    let channels = settings.channels();
    let subscription = subscribe(&client, &channels)
        .await
        .map_err(|e| format!("cannot reach Redis at {}: {e}", redact(&settings.url)))?;
    let listener = tokio::spawn(listen(
        client.clone(),
        channels,
        subscription,
        Arc::clone(&hub),
    ));
    let (publisher, sender) = if settings.pubsub {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT))
            .set_max_delay(RECONNECT_MAX);
        let connection = client
            .get_connection_manager_with_config(config)
            .await
            .map_err(|e| format!("cannot reach Redis at {}: {e}", redact(&settings.url)))?;
        let (queue, queued) = mpsc::unbounded_channel();
        (
            Some(RedisPublisher { queue }),
            Some(tokio::spawn(forward(connection, queued, hub))),
        )
    } else {
        (None, None)
    };
    Ok((publisher, RedisTasks { listener, sender }))
}

/// The background tasks; dropping this stops them.
pub struct RedisTasks {
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

async fn subscribe(client: &redis::Client, channels: &[String]) -> redis::RedisResult<PubSub> {
    let mut pubsub = client.get_async_pubsub().await?;
    for channel in channels {
        pubsub.subscribe(channel).await?;
    }
    Ok(pubsub)
}

/// Delivers what arrives on the subscribed channels; resubscribes with backoff when Redis goes away.
async fn listen(client: redis::Client, channels: Vec<String>, first: PubSub, hub: Arc<Hub>) {
    let mut subscription = Some(first);
    let mut delay = RECONNECT_MIN;
    loop {
        let pubsub = match subscription.take() {
            Some(pubsub) => pubsub,
            None => match subscribe(&client, &channels).await {
                Ok(pubsub) => {
                    eprintln!("anycable-rs: Redis subscription restored");
                    delay = RECONNECT_MIN;
                    pubsub
                }
                Err(_) => {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(RECONNECT_MAX);
                    continue;
                }
            },
        };
        let mut messages = pubsub.into_on_message();
        while let Some(message) = messages.next().await {
            match Publication::parse_batch(message.get_payload_bytes()) {
                Ok(batch) => {
                    for publication in &batch {
                        publication.deliver(&hub);
                    }
                }
                Err(error) => eprintln!(
                    "anycable-rs: ignored a Redis message on {}: {error}",
                    message.get_channel_name()
                ),
            }
        }
        eprintln!("anycable-rs: Redis subscription lost; reconnecting (local delivery continues)");
    }
}

/// Publishes queued publications in order; any that Redis cannot take are delivered locally.
async fn forward(
    mut connection: ConnectionManager,
    mut queued: mpsc::UnboundedReceiver<Publication>,
    hub: Arc<Hub>,
) {
    while let Some(publication) = queued.recv().await {
        let published: redis::RedisResult<i64> = connection
            .publish(PUBSUB_CHANNEL, publication.to_wire_json())
            .await;
        if published.is_err() {
            publication.deliver(&hub);
        }
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
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
