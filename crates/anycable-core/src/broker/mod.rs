//! What makes streams reliable: every kept publication gets a position (the process or cluster
//! `epoch` and a per-stream `offset`) and stays in the stream's history for a while; sessions are
//! cached after a disconnect so a client can resume; presence says who is on a stream.
//!
//! [`Broker`] is the interface the session and the hub use. [`memory::MemoryBroker`] fills it for
//! one process; [`redis::RedisBroker`] fills it for a whole cluster (one epoch, history, sessions
//! and presence in Redis), which is why every method returns a future of a `Result`: a Redis call
//! can wait and can fail.

mod clock;
mod epoch;
mod error;
mod history;
pub(crate) mod memory;
mod presence;
pub(crate) mod redis;
mod settings;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub(crate) use clock::{Clock, SystemClock};
pub(crate) use error::BrokerError;
pub(crate) use history::{History, KeptMessage, StreamPosition};
pub(crate) use presence::{PresenceChange, PresenceInfo, PresenceLapse, PresenceRecord};
pub(crate) use settings::{BrokerKind, BrokerSettings};

/// What every broker call returns: a boxed future (so `dyn Broker` works, like the
/// RPC transport's `CallFuture`) of the answer or why there is none.
pub(crate) type BrokerFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, BrokerError>> + Send + 'a>>;

/// One publication for [`Broker::register_batch`]: registered unless `transient` (then only
/// fanned out, by a broker that [fans out](Broker::fans_out)).
#[derive(Debug, Clone)]
pub(crate) struct Registration<'a> {
    pub stream: &'a str,
    /// The message's JSON text.
    pub data: Arc<str>,
    /// The sid of the client that must not get it.
    pub exclude_socket: Option<&'a str>,
    pub transient: bool,
}

/// A `redisx` entry acknowledged (`XACK` + `XDEL`) in the same atomic step as its registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntryAck {
    /// The Redis Stream the entry was read from.
    pub stream: String,
    /// The consumer group that read it.
    pub group: String,
    /// The entry's id.
    pub id: String,
}

/// What [`Broker::register_batch`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Registered {
    /// One per publication, in order; `None` for a transient one.
    Positions(Vec<Option<StreamPosition>>),
    /// Another node took the entry already: nothing was registered.
    AlreadyAcked,
}

/// Reliable streams, the session cache and presence, behind one interface so that one node (memory)
/// and a cluster (Redis) are interchangeable. Times are whole Unix seconds.
pub(crate) trait Broker: Send + Sync {
    /// Gives a non-transient publication of `stream` its position and keeps `data` (the message's
    /// JSON text, shared with the fan-out) in the stream's history. Call once per publication,
    /// before fan-out; transient messages (whispers, presence events) are never registered.
    fn register<'a>(&'a self, stream: &'a str, data: Arc<str>) -> BrokerFuture<'a, StreamPosition>;

    /// The messages of `stream` after `offset` of `epoch`, oldest first. Succeeds whenever nothing
    /// after `offset` is missing (`offset` equal to the latest gives an empty history); fails when
    /// the epoch is not the current one, `offset` is beyond the latest, or a message after it is no
    /// longer kept (trimmed, expired, or the stream forgotten).
    fn history_from<'a>(
        &'a self,
        stream: &'a str,
        epoch: &'a str,
        offset: u64,
    ) -> BrokerFuture<'a, History>;

    /// The kept messages of `stream` published at or after `since` (Unix seconds), oldest first.
    /// A stream with nothing kept gives an empty history, never an error.
    fn history_since<'a>(&'a self, stream: &'a str, since: u64) -> BrokerFuture<'a, History>;

    /// Keeps a session's serialised snapshot (opaque to the broker) under `sid` for `sessions_ttl`,
    /// replacing any earlier one. The session calls it once, when its connection ends, with its
    /// sid bound to its identifiers as `sid` (see `session::resumption`).
    fn store_session<'a>(&'a self, sid: &'a str, snapshot: String) -> BrokerFuture<'a, ()>;

    /// Removes and returns the snapshot under `sid`: a session is restored at most once.
    fn take_session<'a>(&'a self, sid: &'a str) -> BrokerFuture<'a, Option<String>>;

    /// Session `sid` joins the presence of `stream` as `id` with `info` (raw JSON text). Returns
    /// the `join` event to broadcast when `id` is new on the stream; a second session with the same
    /// id, or the same session joining again (its info replaces the old one), gives none. The
    /// session's presence lasts `presence_ttl` from now unless touched.
    fn join_presence<'a>(
        &'a self,
        stream: &'a str,
        sid: &'a str,
        id: &'a str,
        info: Option<&'a str>,
    ) -> BrokerFuture<'a, Option<PresenceChange>>;

    /// Session `sid` leaves the presence of `stream`. Returns the `leave` event to broadcast when
    /// it was the last session holding its id there.
    fn leave_presence<'a>(
        &'a self,
        stream: &'a str,
        sid: &'a str,
    ) -> BrokerFuture<'a, Option<PresenceChange>>;

    /// Keeps all of session `sid`'s presence for another `presence_ttl` from now. Call every
    /// `presence_ttl / 2` while the session lives and once when it disconnects: its presence then
    /// lapses `presence_ttl` later unless a new session comes back with the same id.
    fn touch_presence<'a>(&'a self, sid: &'a str) -> BrokerFuture<'a, ()>;

    /// Who is present on `stream`: one record per id, whatever the number of its sessions.
    fn presence<'a>(&'a self, stream: &'a str) -> BrokerFuture<'a, PresenceInfo>;

    /// Frees what has expired (history, idle streams, cached sessions, lapsed presence). Returns
    /// the presence that lapsed: each one a `leave` event to broadcast. The server calls this from
    /// a timer, about once a second.
    fn sweep(&self) -> BrokerFuture<'_, Vec<PresenceLapse>>;

    /// Registers a batch in order, in one step. The default registers each kept publication with
    /// [`Broker::register`]. Only a broker that [fans out](Broker::fans_out) gets an `ack`
    /// (otherwise the `redisx` reader acknowledges the entry itself).
    fn register_batch<'a>(
        &'a self,
        batch: &'a [Registration<'a>],
        ack: Option<&'a EntryAck>,
    ) -> BrokerFuture<'a, Registered> {
        debug_assert!(
            ack.is_none(),
            "only a fanning-out broker acknowledges entries"
        );
        Box::pin(async move {
            let mut positions = Vec::with_capacity(batch.len());
            for publication in batch {
                positions.push(if publication.transient {
                    None
                } else {
                    Some(
                        self.register(publication.stream, Arc::clone(&publication.data))
                            .await?,
                    )
                });
            }
            Ok(Registered::Positions(positions))
        })
    }

    /// Whether the broker itself delivers what it registers, and the presence changes and lapses
    /// it returns, to every node's subscribers (this one's included). Callers then must not
    /// deliver them again. Memory: false. Redis: true.
    fn fans_out(&self) -> bool {
        false
    }
}
