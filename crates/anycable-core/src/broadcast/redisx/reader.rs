//! The reading loop: ask for the lease every second; while holding it, first take over what
//! earlier readers left pending (in id order), then read new entries, handing each to the
//! dispatcher and acknowledging it. One connection carries it all, one command at a time.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::Value;
use tokio::sync::watch;
use tokio::time::Instant;

use super::consumers::{self, LOOK_EVERY};
use super::entries::{self, Entry};
use super::lease::{lease_key, Lease, RENEW_EVERY};
use super::RedisxSettings;
use crate::broadcast::{Dispatcher, EntryOutcome, Publication};
use crate::broker::EntryAck;
use crate::log::log;
use crate::redis_link::{within, Backoff, Failure, Link, Outage, RedisHealth};
use crate::redis_link::{CONNECT_DEADLINE, REPLY_DEADLINE};

/// Entries asked for per `XREADGROUP` and per `XAUTOCLAIM` page.
const BATCH: usize = 64;
/// How long `XREADGROUP` waits for new entries; under the lease's renewal period so a waiting
/// holder renews in time.
const BLOCK: Duration = Duration::from_secs(1);

/// What ended a stretch of reading.
enum Interrupted {
    /// The server is stopping.
    Stopping,
    Failed(Failure),
    /// The Redis broker could not register an entry: it stays pending, and is taken again, in
    /// order, once the broker is back.
    Unregistered,
}

impl From<Failure> for Interrupted {
    fn from(failure: Failure) -> Interrupted {
        Interrupted::Failed(failure)
    }
}

pub(super) struct Reader {
    client: redis::Client,
    stream: String,
    group: String,
    consumer: String,
    lease: Lease,
    /// When the reader last looked for consumers of nodes that died.
    looked: Option<Instant>,
    dispatcher: Dispatcher,
    health: Arc<RedisHealth>,
}

impl Reader {
    pub(super) fn new(
        client: redis::Client,
        settings: &RedisxSettings,
        dispatcher: Dispatcher,
        health: Arc<RedisHealth>,
    ) -> Reader {
        // A new name per start: a restarted node must not pass for the one that left entries
        // pending (they are claimed explicitly instead).
        let consumer = format!("acrs-{:016x}", rand::random::<u64>());
        Reader {
            client,
            lease: Lease::new(
                lease_key(&settings.stream, &settings.group),
                consumer.clone(),
            ),
            looked: None,
            stream: settings.stream.clone(),
            group: settings.group.clone(),
            consumer,
            dispatcher,
            health,
        }
    }

    /// A connection, with the group created if it is missing.
    pub(super) async fn connect(&self) -> Result<MultiplexedConnection, Failure> {
        // Our own deadlines apply; the crate's response timeout would race them.
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(None)
            .set_response_timeout(None);
        let mut connection = within(
            CONNECT_DEADLINE,
            self.client
                .get_multiplexed_async_connection_with_config(&config),
        )
        .await?;
        self.create_group(&mut connection).await?;
        Ok(connection)
    }

    /// `XGROUP CREATE … 0 MKSTREAM`: from the stream's start, not `$`, so entries added while no
    /// group existed (a Redis that restarted empty, before this node reconnected) are read too.
    /// Read entries are deleted, so the start holds only unread ones.
    async fn create_group(&self, connection: &mut MultiplexedConnection) -> Result<(), Failure> {
        let mut create = redis::cmd("XGROUP");
        create
            .arg("CREATE")
            .arg(&self.stream)
            .arg(&self.group)
            .arg("0")
            .arg("MKSTREAM");
        match within(REPLY_DEADLINE, create.query_async::<()>(connection)).await {
            Err(Failure::Error(error)) if error.code() == Some("BUSYGROUP") => Ok(()),
            other => other,
        }
    }

    /// Reads until `stopping`, reconnecting with backoff whenever Redis fails or stalls.
    pub(super) async fn run(
        mut self,
        first: MultiplexedConnection,
        mut stopping: watch::Receiver<bool>,
    ) {
        let mut connection = Some(first);
        let mut outage = Outage::new("redisx", &self.health);
        let mut backoff = Backoff::default();
        loop {
            let mut live = match connection.take() {
                Some(live) => live,
                None => match self.connect().await {
                    Ok(live) => {
                        outage.end();
                        self.health.set_up(Link::Redisx, true);
                        backoff.reset();
                        live
                    }
                    Err(failure) => {
                        outage.begin(failure.reason());
                        if pause(backoff.next_delay(), &mut stopping).await {
                            return;
                        }
                        continue;
                    }
                },
            };
            match self.read_until_interrupted(&mut live, &stopping).await {
                Interrupted::Stopping => {
                    self.lease.release(&mut live).await;
                    // At shutdown a failure only leaves the name for the next reader to delete.
                    let _ = consumers::forget_self(
                        &mut live,
                        &self.stream,
                        &self.group,
                        &self.consumer,
                    )
                    .await;
                    return;
                }
                Interrupted::Failed(failure) => {
                    self.health.set_up(Link::Redisx, false);
                    outage.begin(failure.reason());
                }
                Interrupted::Unregistered => {
                    if pause(backoff.next_delay(), &mut stopping).await {
                        return;
                    }
                    connection = Some(live);
                }
            }
        }
    }

    async fn read_until_interrupted(
        &mut self,
        connection: &mut MultiplexedConnection,
        stopping: &watch::Receiver<bool>,
    ) -> Interrupted {
        let mut stopping = stopping.clone();
        // After a reconnect this node may hold the lease still; what it was reading is pending.
        let mut holding = false;
        loop {
            if *stopping.borrow() {
                return Interrupted::Stopping;
            }
            let step = if holding {
                self.read_new(connection, &stopping).await
            } else {
                self.take_lease(connection, &mut stopping).await
            };
            match step {
                Ok(held) => holding = held,
                Err(Interrupted::Failed(Failure::Error(error)))
                    if error.code() == Some("NOGROUP") =>
                {
                    // The stream or group was deleted (or Redis lost them): create it again and
                    // start over with whatever is pending.
                    if let Err(failure) = self.create_group(connection).await {
                        return failure.into();
                    }
                    holding = false;
                }
                Err(interrupted) => return interrupted,
            }
        }
    }

    /// Asks for the lease; on gaining it, takes over what is pending first. Otherwise waits
    /// until it is time to ask again. `Ok(true)` while this node holds the lease.
    async fn take_lease(
        &mut self,
        connection: &mut MultiplexedConnection,
        stopping: &mut watch::Receiver<bool>,
    ) -> Result<bool, Interrupted> {
        if self.lease.renew(connection).await? {
            // Says which node reads, for operators (and tests) matching it to the lease key.
            log!(
                self.health.log(),
                Info,
                format!(
                    "redisx: reading {:?} as consumer {}",
                    self.stream, self.consumer
                ),
                stream = self.stream,
                consumer = self.consumer,
            );
            return self.reclaim(connection, stopping).await;
        }
        if pause(RENEW_EVERY, stopping).await {
            return Err(Interrupted::Stopping);
        }
        Ok(false)
    }

    /// Claims every entry pending in the group (left by a reader that stopped, or by this node
    /// before it lost Redis) in id order, and delivers them. `Ok(false)` once the lease is lost.
    async fn reclaim(
        &mut self,
        connection: &mut MultiplexedConnection,
        stopping: &watch::Receiver<bool>,
    ) -> Result<bool, Interrupted> {
        let mut cursor = "0-0".to_owned();
        loop {
            let mut claim = redis::cmd("XAUTOCLAIM");
            claim
                .arg(&self.stream)
                .arg(&self.group)
                .arg(&self.consumer)
                .arg(0)
                .arg(&cursor)
                .arg("COUNT")
                .arg(BATCH);
            let reply = within(REPLY_DEADLINE, claim.query_async::<Value>(connection)).await?;
            let (next, claimed) = entries::claim_reply(reply).map_err(Failure::Error)?;
            self.health.count_reclaimed(claimed.len());
            if !self.deliver(connection, claimed, stopping).await? {
                return Ok(false);
            }
            if next == "0-0" {
                return Ok(true);
            }
            cursor = next;
        }
    }

    /// Waits up to [`BLOCK`] for new entries and delivers them. `Ok(false)` once the lease is
    /// lost.
    async fn read_new(
        &mut self,
        connection: &mut MultiplexedConnection,
        stopping: &watch::Receiver<bool>,
    ) -> Result<bool, Interrupted> {
        if self.lease.due() && !self.lease.renew(connection).await? {
            return Ok(false);
        }
        if self
            .looked
            .is_none_or(|looked| looked.elapsed() >= LOOK_EVERY)
        {
            self.looked = Some(Instant::now());
            consumers::forget_departed(connection, &self.stream, &self.group, &self.consumer)
                .await?;
        }
        let mut read = redis::cmd("XREADGROUP");
        read.arg("GROUP")
            .arg(&self.group)
            .arg(&self.consumer)
            .arg("COUNT")
            .arg(BATCH)
            .arg("BLOCK")
            .arg(BLOCK.as_millis() as u64)
            .arg("STREAMS")
            .arg(&self.stream)
            .arg(">");
        let reply = within(
            BLOCK + REPLY_DEADLINE,
            read.query_async::<Value>(connection),
        )
        .await?;
        let new = entries::read_reply(reply).map_err(Failure::Error)?;
        self.deliver(connection, new, stopping).await
    }

    /// Delivers entries one at a time, renewing the lease when due; stops early (`Ok(false)`)
    /// when it is lost, leaving the rest pending for the next holder.
    async fn deliver(
        &mut self,
        connection: &mut MultiplexedConnection,
        batch: Vec<Entry>,
        stopping: &watch::Receiver<bool>,
    ) -> Result<bool, Interrupted> {
        for entry in batch {
            if *stopping.borrow() {
                return Err(Interrupted::Stopping);
            }
            if self.lease.due() && !self.lease.renew(connection).await? {
                return Ok(false);
            }
            self.take(connection, entry).await?;
        }
        Ok(true)
    }

    /// One entry: its publications to the dispatcher, then acknowledged and deleted, unless the
    /// Redis broker did both in the step that registered it. An entry without a valid publication
    /// is acknowledged too (retrying it would never succeed).
    async fn take(
        &self,
        connection: &mut MultiplexedConnection,
        entry: Entry,
    ) -> Result<(), Interrupted> {
        let parsed = match &entry.payload {
            Some(payload) => Publication::parse_batch(payload).map_err(|e| e.0),
            None => Err("no payload field".to_owned()),
        };
        match parsed {
            Ok(batch) => {
                let ack = EntryAck {
                    stream: self.stream.clone(),
                    group: self.group.clone(),
                    id: entry.id.clone(),
                };
                match self.dispatcher.publish_entry(batch, ack).await {
                    Ok(EntryOutcome::Registered | EntryOutcome::AlreadyTaken) => return Ok(()),
                    Ok(EntryOutcome::AckYourself) => {}
                    Err(_) => return Err(Interrupted::Unregistered),
                }
            }
            Err(reason) => {
                self.health.count_invalid(1);
                log!(
                    self.health.log(),
                    Warn,
                    "dropped a redisx entry holding no valid publication",
                    id = entry.id,
                    stream = self.stream,
                    reason = reason,
                );
            }
        }
        let mut ack = redis::pipe();
        ack.cmd("XACK")
            .arg(&self.stream)
            .arg(&self.group)
            .arg(&entry.id)
            .ignore()
            .cmd("XDEL")
            .arg(&self.stream)
            .arg(&entry.id)
            .ignore();
        Ok(within(REPLY_DEADLINE, ack.query_async::<()>(connection)).await?)
    }
}

/// Sleeps for `delay`; `true` if the server started stopping meanwhile.
async fn pause(delay: Duration, stopping: &mut watch::Receiver<bool>) -> bool {
    if *stopping.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(delay) => false,
        _ = stopping.changed() => true,
    }
}
