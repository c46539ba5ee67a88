//! The `redisx` broadcast adapter: applications `XADD <redisxStream> * payload '<publication>'`
//! (what the AnyCable SDKs' `redisx` adapter sends), and one node at a time reads the stream
//! through a consumer group, delivers each entry and then acknowledges and deletes it.
//!
//! With the Redis broker, the script that registers an entry's publications also acknowledges and
//! deletes it: exactly once, and every node delivers it from the broker's channel. Otherwise
//! delivery is at least once: an entry is acknowledged only after its publications went to the
//! dispatcher, so a reader that dies in between leaves it pending, and the next reader delivers
//! it again. The reader's own clients get it directly; other nodes' clients only through pub/sub
//! (`pubsub: "redis"`), which is at most once.

mod consumers;
mod entries;
mod lease;
mod reader;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use self::reader::Reader;
use crate::broadcast::Dispatcher;
use crate::redis_link::{redact, RedisHealth};

/// Where the adapter reads, resolved from the options.
#[derive(Debug, Clone)]
pub struct RedisxSettings {
    pub url: String,
    /// `redisxStream`: the stream applications add entries to.
    pub stream: String,
    /// `redisxGroup`: the consumer group every node reads through.
    pub group: String,
}

/// How long [`RedisxTasks::stop`] waits for the reader to finish its entry and release the lease.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// Connects (failing fast if Redis is unreachable) and creates the group, then reads in the
/// background until the returned tasks are stopped or dropped.
pub(crate) async fn start(
    settings: &RedisxSettings,
    dispatcher: Dispatcher,
    health: Arc<RedisHealth>,
) -> Result<RedisxTasks, String> {
    let client =
        redis::Client::open(settings.url.as_str()).map_err(|e| format!("invalid redisUrl: {e}"))?;
    let reader = Reader::new(client, settings, dispatcher, health);
    let connection = reader
        .connect()
        .await
        .map_err(|e| format!("cannot reach Redis at {}: {e}", redact(&settings.url)))?;
    let (stop, stopping) = watch::channel(false);
    let task = tokio::spawn(reader.run(connection, stopping));
    Ok(RedisxTasks { task, stop })
}

/// The reading task; dropping this aborts it (the lease then lapses after its ttl).
pub(crate) struct RedisxTasks {
    task: JoinHandle<()>,
    stop: watch::Sender<bool>,
}

impl RedisxTasks {
    /// Lets the reader finish its current entry and release the lease, so another node takes
    /// over at once.
    pub(crate) async fn stop(mut self) {
        self.stop.send_replace(true);
        let _ = tokio::time::timeout(STOP_GRACE, &mut self.task).await;
    }
}

impl Drop for RedisxTasks {
    fn drop(&mut self) {
        self.task.abort();
    }
}
