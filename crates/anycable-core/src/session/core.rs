//! What a session means, with no socket: how it opens, its subscriptions, what each command does
//! to them and to the hub, which commands go to the application, and the frames each sends back.
//! The socket loop feeds it commands and application replies and carries out its [`Effects`].
//! Broadcasts never pass through here: the hub queues them straight into the session's outbox.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::value::RawValue;

use super::application::{AppCall, Goodbye};
use crate::channels::{channel_of, is_stream_channel, resolve_stream};
use crate::config::Settings;
use crate::hub::{Hub, SessionId, Subscriber};
use crate::identity::Verdict;
use crate::outbox::Outbox;
use crate::protocol::{self, Command, DisconnectReason, Frame};
use crate::rpc::Env;

/// The longest identifier a subscribe may carry; longer ones are rejected. Identifiers are kept for
/// the whole subscription and repeated in every broadcast frame, and real ones (Turbo's signed
/// names included) are a few hundred bytes.
pub const MAX_IDENTIFIER_BYTES: usize = 4096;

/// What the socket loop carries out after the session handled a command or a reply: first the
/// frames, in order; then the end of the session, or else the application call.
#[must_use]
#[derive(Default)]
pub(super) struct Effects {
    /// Frames for this client, in order.
    pub frames: Vec<Frame>,
    /// An application call to make; its reply goes back to [`Session::apply`].
    pub call: Option<AppCall>,
    /// End the session with a disconnect frame (then a close).
    pub disconnect: Option<DisconnectReason>,
}

impl Effects {
    pub(super) fn send(frame: Frame) -> Effects {
        Effects {
            frames: vec![frame],
            ..Effects::default()
        }
    }

    fn ask(call: AppCall) -> Effects {
        Effects {
            call: Some(call),
            ..Effects::default()
        }
    }

    pub(super) fn end(reason: DisconnectReason) -> Effects {
        Effects {
            disconnect: Some(reason),
            ..Effects::default()
        }
    }
}

/// A subscription: the streams it streams from, and who answers it.
pub(super) struct Subscription {
    pub streams: Vec<String>,
    /// Whether the subscriber may whisper to its streams.
    pub whisper: bool,
    /// Answered by the application (as opposed to `$pubsub` / Turbo, answered here).
    pub application: bool,
}

/// One client's session state.
pub(super) struct Session {
    id: SessionId,
    pub(super) sid: Arc<str>,
    pub(super) settings: Arc<Settings>,
    hub: Arc<Hub>,
    /// Where the hub queues this client's broadcasts; handed to the hub with every stream.
    outbox: Outbox,
    /// The connection identifiers (JSON), from the token's `ext` or the application's `connect`.
    pub(super) identifiers: String,
    pub(super) env: Option<Box<Env>>,
    pub(super) connected_by_application: bool,
    /// A command of this session went to the application, so it gets `disconnect` at the end.
    pub(super) used_application: bool,
    pub(super) subscriptions: HashMap<Arc<str>, Subscription>,
}

impl Session {
    /// A session for client `id` / `sid`; `env` is the request as the application sees it (kept
    /// only when there is an application).
    pub fn new(
        id: SessionId,
        sid: Arc<str>,
        env: Option<Box<Env>>,
        settings: Arc<Settings>,
        hub: Arc<Hub>,
        outbox: Outbox,
    ) -> Session {
        Session {
            id,
            sid,
            settings,
            hub,
            outbox,
            identifiers: String::new(),
            env,
            connected_by_application: false,
            used_application: false,
            subscriptions: HashMap::new(),
        }
    }

    /// How the session opens, given the auth verdict: a welcome, a refusal, or the application's
    /// `connect` to ask (its reply goes to [`Session::apply`]).
    pub fn open(&mut self, verdict: Verdict) -> Effects {
        match verdict {
            Verdict::Refused(reason) => Effects::end(reason),
            Verdict::Identified { identifiers } => {
                self.identifiers = identifiers;
                Effects::send(protocol::welcome(&self.sid))
            }
            Verdict::Anonymous => Effects::send(protocol::welcome(&self.sid)),
            // The verdict asks only when there is an application; without one nobody can accept.
            Verdict::AskApplication => self
                .connect_call()
                .map_or(Effects::end(DisconnectReason::Unauthorized), Effects::ask),
        }
    }

    /// Acts on one command from the client.
    pub fn handle(&mut self, command: Command) -> Effects {
        match command {
            Command::Subscribe { identifier } => self.subscribe(identifier),
            Command::Unsubscribe { identifier } => self.unsubscribe(&identifier),
            Command::Message { identifier, data } => self.perform(&identifier, data),
            Command::Whisper { identifier, data } => {
                self.whisper(&identifier, &data);
                Effects::default()
            }
            Command::Unknown => Effects::default(),
        }
    }

    /// Leaves every stream; the application's `disconnect` call, if it has seen this session.
    pub fn finish(&mut self) -> Option<Goodbye> {
        let identifiers: Vec<Arc<str>> = self.subscriptions.keys().cloned().collect();
        let application_channels = identifiers
            .into_iter()
            .filter_map(|identifier| {
                let subscription = self.leave(&identifier)?;
                subscription.application.then(|| identifier.to_string())
            })
            .collect();
        self.goodbye(application_channels)
    }

    fn subscribe(&mut self, identifier: String) -> Effects {
        if self.subscriptions.contains_key(identifier.as_str()) {
            return Effects::default();
        }
        // Over a bound the subscribe is refused like any other; the connection stays.
        if identifier.len() > MAX_IDENTIFIER_BYTES
            || self.subscriptions.len() >= self.settings.max_subscriptions
        {
            return Effects::send(protocol::reject(&identifier));
        }
        let for_application = channel_of(&identifier)
            .is_some_and(|channel| !is_stream_channel(&self.settings, &channel));
        match for_application
            .then(|| self.command_call("subscribe", &identifier, None))
            .flatten()
        {
            Some(call) => Effects::ask(call),
            // Stream channels are answered here; anything else without an application is rejected.
            None => self.subscribe_stream(identifier),
        }
    }

    fn subscribe_stream(&mut self, identifier: String) -> Effects {
        let Some(grant) = resolve_stream(&self.settings, &identifier) else {
            return Effects::send(protocol::reject(&identifier));
        };
        let identifier: Arc<str> = Arc::from(identifier);
        self.subscriptions.insert(
            Arc::clone(&identifier),
            Subscription {
                streams: Vec::new(),
                whisper: grant.whisper,
                application: false,
            },
        );
        self.stream_from(&identifier, grant.stream);
        Effects::send(protocol::confirm(&identifier))
    }

    fn unsubscribe(&mut self, identifier: &str) -> Effects {
        let Some(subscription) = self.leave(identifier) else {
            return Effects::default();
        };
        subscription
            .application
            .then(|| self.command_call("unsubscribe", identifier, None))
            .flatten()
            .map_or_else(Effects::default, Effects::ask)
    }

    /// `perform`: an action of an application channel. Stream channels have no actions and
    /// unknown identifiers are ignored.
    fn perform(&mut self, identifier: &str, data: String) -> Effects {
        match self.subscriptions.get(identifier) {
            Some(subscription) if subscription.application => self
                .command_call("message", identifier, Some(data))
                .map_or_else(Effects::default, Effects::ask),
            _ => Effects::default(),
        }
    }

    /// Relays `data` to the other subscribers of the subscription's streams, if it may whisper.
    fn whisper(&self, identifier: &str, data: &RawValue) {
        let Some(subscription) = self.subscriptions.get(identifier).filter(|s| s.whisper) else {
            return;
        };
        for stream in &subscription.streams {
            self.hub.whisper(stream, self.id, data);
        }
    }

    /// Adds `stream` to a subscription (and the hub) unless it is there already.
    pub(super) fn stream_from(&mut self, identifier: &Arc<str>, stream: String) {
        let Some(subscription) = self.subscriptions.get_mut(identifier) else {
            return;
        };
        if subscription.streams.contains(&stream) {
            return;
        }
        let subscriber = Subscriber {
            sid: Arc::clone(&self.sid),
            outbox: self.outbox.clone(),
        };
        self.hub.subscribe(&stream, identifier, self.id, subscriber);
        subscription.streams.push(stream);
    }

    pub(super) fn stop_stream_from(&mut self, identifier: &str, stream: &str) {
        let Some(subscription) = self.subscriptions.get_mut(identifier) else {
            return;
        };
        subscription.streams.retain(|s| s != stream);
        self.hub.unsubscribe(stream, identifier, self.id);
    }

    /// Removes a subscription and its streams.
    fn leave(&mut self, identifier: &str) -> Option<Subscription> {
        let (identifier, subscription) = self.subscriptions.remove_entry(identifier)?;
        for stream in &subscription.streams {
            self.hub.unsubscribe(stream, &identifier, self.id);
        }
        Some(subscription)
    }
}
