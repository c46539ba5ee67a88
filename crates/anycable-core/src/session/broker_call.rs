//! Broker calls from a session, built like application calls: the core stays synchronous and
//! socket-free, so when a command needs the broker it returns a [`BrokerCall`] in its
//! [`Effects`](super::core::Effects) — a future the core built, owning an `Arc<dyn Broker>` and
//! everything it asks — and the socket loop awaits it exactly like an application call (commands
//! wait their turn, broadcasts and pings keep flowing), then hands the [`BrokerReply`] to
//! [`Session::apply_broker`].
//!
//! To add a broker-backed feature: add a [`BrokerReply`] variant carrying what the answer needs,
//! build the call with [`BrokerCall::new`] where the command is handled, and handle the variant
//! in [`Session::apply_broker`].

use std::future::Future;
use std::pin::Pin;

use super::core::{Effects, Session};
use super::history::HistoryReply;
use super::presence::PresenceReply;
use super::resumption::RestoreReply;

/// A broker call to await; its reply goes back to [`Session::apply_broker`].
pub(super) struct BrokerCall(Pin<Box<dyn Future<Output = BrokerReply> + Send>>);

impl BrokerCall {
    /// Boxed, like application calls: rare next to broadcasts, and inline their state would
    /// enlarge every idle session.
    pub(super) fn new(call: impl Future<Output = BrokerReply> + Send + 'static) -> BrokerCall {
        BrokerCall(Box::pin(call))
    }

    /// Makes the call.
    pub(super) async fn send(self) -> BrokerReply {
        self.0.await
    }

    /// This call, then `next` (a subscribe's presence join after its history).
    pub(super) fn then(self, next: BrokerCall) -> BrokerCall {
        BrokerCall::new(async move {
            let first = self.send().await;
            let second = next.send().await;
            BrokerReply::Both(Box::new((first, second)))
        })
    }
}

/// The broker's answer to a [`BrokerCall`], with what the session needs to act on it.
pub(super) enum BrokerReply {
    /// A history request of one subscription.
    History(HistoryReply),
    /// A presence join, leave, info or keepalive.
    Presence(PresenceReply),
    /// Two calls made one after the other, applied in the same order.
    Both(Box<(BrokerReply, BrokerReply)>),
    /// A restore attempt: the snapshot taken (if any), with the frames of a fresh session.
    Restore(RestoreReply),
    /// A session was kept for a later restore; nothing to do.
    Kept,
}

impl Session {
    /// Acts on the broker's answer.
    pub(super) fn apply_broker(&mut self, reply: BrokerReply) -> Effects {
        match reply {
            BrokerReply::History(reply) => self.replayed(reply),
            BrokerReply::Presence(reply) => self.presence_replied(reply),
            BrokerReply::Both(replies) => {
                let (first, second) = *replies;
                let mut effects = self.apply_broker(first);
                let then = self.apply_broker(second);
                effects.frames.extend(then.frames);
                effects.disconnect = effects.disconnect.or(then.disconnect);
                effects.call = effects.call.or(then.call);
                effects.broker = effects.broker.or(then.broker);
                effects
            }
            BrokerReply::Restore(reply) => self.restored(reply),
            BrokerReply::Kept => Effects::default(),
        }
    }
}
