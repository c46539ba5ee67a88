//! The broker of a cluster: history, sessions and presence in one Redis shared by every node.
//!
//! Each registration is one script call that gives the offsets, keeps the history (trimmed to
//! `historyLimit`, expiring after `historyTtl`) and publishes the records on [`FANOUT_CHANNEL`],
//! from which every node (the registering one included) delivers: one channel carries every
//! script's `PUBLISH` in Redis's execution order, so each stream arrives in offset order
//! everywhere. The epoch lives as long as one Redis process (its `run_id`): a restart or a data
//! loss gives a new one, and old offsets are rejected rather than answered with wrong history.

mod history;
mod keys;
mod link;
mod presence;
pub(crate) mod record;
mod scripts;
mod sessions;

use std::sync::Arc;

use super::settings::whole_seconds;
use super::{
    Broker, BrokerError, BrokerFuture, BrokerSettings, EntryAck, History, PresenceChange,
    PresenceInfo, PresenceLapse, Registered, Registration, StreamPosition,
};
use crate::log::log;
use crate::redis_link::{redact, RedisHealth};
use link::CommandLink;

/// The pub/sub channel every node subscribes to for what the scripts register and announce.
pub(crate) const FANOUT_CHANNEL: &str = "$acrs:fanout";

/// An idle stream's offsets outlive its history this many times over, as in memory.
const IDLE_STREAM_TTLS: u64 = 10;

/// Where the broker's Redis is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisBrokerSettings {
    pub url: String,
}

/// The settings in whole seconds, as the scripts take them.
#[derive(Debug, Clone, Copy)]
struct Limits {
    history_limit: u64,
    history_ttl: u64,
    /// How long an idle stream's offsets are kept.
    idle_stream: u64,
    sessions_ttl: u64,
    presence_ttl: u64,
}

impl From<BrokerSettings> for Limits {
    fn from(settings: BrokerSettings) -> Limits {
        let history_ttl = whole_seconds(settings.history_ttl);
        Limits {
            history_limit: settings.history_limit as u64,
            history_ttl,
            idle_stream: history_ttl.saturating_mul(IDLE_STREAM_TTLS),
            sessions_ttl: whole_seconds(settings.sessions_ttl),
            presence_ttl: whole_seconds(settings.presence_ttl),
        }
    }
}

/// History, sessions and presence in Redis, for every node of a cluster.
pub(crate) struct RedisBroker {
    link: CommandLink,
    limits: Limits,
    health: Arc<RedisHealth>,
}

impl RedisBroker {
    /// Connects (failing fast when Redis cannot be reached) and loads the scripts; `health` counts
    /// the command link as [`crate::redis_link::Link::BrokerCommands`].
    pub(crate) async fn connect(
        settings: &RedisBrokerSettings,
        kept: BrokerSettings,
        health: Arc<RedisHealth>,
    ) -> Result<RedisBroker, String> {
        let client = redis::Client::open(settings.url.as_str())
            .map_err(|e| format!("invalid redisUrl: {e}"))?;
        let link = CommandLink::connect(client, Arc::clone(&health))
            .await
            .map_err(|e| format!("cannot reach Redis at {}: {e}", redact(&settings.url)))?;
        Ok(RedisBroker {
            link,
            limits: Limits::from(kept),
            health,
        })
    }
}

impl Broker for RedisBroker {
    fn register<'a>(&'a self, stream: &'a str, data: Arc<str>) -> BrokerFuture<'a, StreamPosition> {
        Box::pin(async move {
            let batch = [Registration {
                stream,
                data,
                exclude_socket: None,
                transient: false,
            }];
            match history::register_batch(self, &batch, None).await? {
                Registered::Positions(mut positions) => positions
                    .pop()
                    .flatten()
                    .ok_or(super::BrokerError::Unavailable),
                Registered::AlreadyAcked => Err(super::BrokerError::Unavailable),
            }
        })
    }

    fn history_from<'a>(
        &'a self,
        stream: &'a str,
        epoch: &'a str,
        offset: u64,
    ) -> BrokerFuture<'a, History> {
        Box::pin(history::history_from(self, stream, epoch, offset))
    }

    fn history_since<'a>(&'a self, stream: &'a str, since: u64) -> BrokerFuture<'a, History> {
        Box::pin(history::history_since(self, stream, since))
    }

    fn store_session<'a>(&'a self, sid: &'a str, snapshot: String) -> BrokerFuture<'a, ()> {
        Box::pin(sessions::store(self, sid, snapshot))
    }

    fn take_session<'a>(&'a self, sid: &'a str) -> BrokerFuture<'a, Option<String>> {
        Box::pin(sessions::take(self, sid))
    }

    fn join_presence<'a>(
        &'a self,
        stream: &'a str,
        sid: &'a str,
        id: &'a str,
        info: Option<&'a str>,
    ) -> BrokerFuture<'a, Option<PresenceChange>> {
        Box::pin(presence::join(self, stream, sid, id, info))
    }

    fn leave_presence<'a>(
        &'a self,
        stream: &'a str,
        sid: &'a str,
    ) -> BrokerFuture<'a, Option<PresenceChange>> {
        Box::pin(presence::leave(self, stream, sid))
    }

    fn touch_presence<'a>(&'a self, sid: &'a str) -> BrokerFuture<'a, ()> {
        Box::pin(presence::touch(self, sid))
    }

    fn presence<'a>(&'a self, stream: &'a str) -> BrokerFuture<'a, PresenceInfo> {
        Box::pin(presence::info(self, stream))
    }

    fn sweep(&self) -> BrokerFuture<'_, Vec<PresenceLapse>> {
        Box::pin(presence::sweep(self))
    }

    fn register_batch<'a>(
        &'a self,
        batch: &'a [Registration<'a>],
        ack: Option<&'a EntryAck>,
    ) -> BrokerFuture<'a, Registered> {
        Box::pin(history::register_batch(self, batch, ack))
    }

    fn fans_out(&self) -> bool {
        true
    }
}

impl RedisBroker {
    /// A reply our scripts and commands cannot give (`what` names the call): logged, and the call
    /// fails as if Redis were unavailable.
    fn unexpected(&self, what: &str) -> BrokerError {
        log!(
            self.health.log(),
            Error,
            "the Redis broker got an unexpected reply",
            call = what
        );
        BrokerError::Unavailable
    }
}
