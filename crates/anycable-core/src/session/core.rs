//! What a session means, with no socket: how it opens, its subscriptions, what each command does
//! to them and to the hub, which commands go to the application, and the frames each sends back.
//! The socket loop feeds it commands and application replies and carries out its [`Effects`].
//! Broadcasts never pass through here: the hub queues them straight into the session's outbox.

use std::sync::Arc;

use serde_json::value::RawValue;

use super::application::{AppCall, Goodbye};
use super::broker_call::BrokerCall;
use super::history::{HistoryAsk, Replay};
use super::presence::Presence;
use super::resumption::Resumption;
use super::subscriptions::Subscriptions;
use super::SessionSettings;
use crate::broker::Broker;
use crate::channels::{channel_of, is_stream_channel, resolve_stream};
use crate::hub::{Hub, SessionId, Subscriber};
use crate::identity::Verdict;
use crate::outbox::Outbox;
use crate::protocol::{self, Command, DisconnectReason, Frame, PresenceJoin};
use crate::rpc::Env;

/// The longest identifier a subscribe may carry; longer ones are rejected. Identifiers are kept for
/// the whole subscription and repeated in every broadcast frame, and real ones (Turbo's signed
/// names included) are a few hundred bytes.
pub const MAX_IDENTIFIER_BYTES: usize = 4096;

/// What the socket loop carries out after the session handled a command or a reply: first the
/// frames, in order; then the end of the session, or else the application call or the broker
/// call (never both).
#[must_use]
#[derive(Default)]
pub(super) struct Effects {
    /// Frames for this client, in order.
    pub frames: Vec<Frame>,
    /// An application call to make; its reply goes back to [`Session::apply`].
    pub call: Option<AppCall>,
    /// A broker call to make; its reply goes back to [`Session::apply_broker`].
    pub broker: Option<BrokerCall>,
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
    /// Whether it may join its stream's presence, and whether it did.
    pub presence: Presence,
}

/// One client's session state.
pub(super) struct Session {
    id: SessionId,
    pub(super) sid: Arc<str>,
    pub(super) settings: Arc<SessionSettings>,
    pub(super) hub: Arc<Hub>,
    /// Where the hub queues this client's broadcasts; handed to the hub with every stream.
    outbox: Outbox,
    /// The connection identifiers (JSON), from the token's `ext` or the application's `connect`.
    pub(super) identifiers: String,
    pub(super) env: Option<Box<Env>>,
    pub(super) connected_by_application: bool,
    /// A command of this session went to the application, so it gets `disconnect` at the end.
    pub(super) used_application: bool,
    pub(super) subscriptions: Subscriptions,
    /// History, the session cache and presence; `None` with `broker: "none"`.
    pub(super) broker: Option<Arc<dyn Broker>>,
    /// Replay bookkeeping, once the session asked for history (boxed: most never do).
    pub(super) replay: Option<Box<Replay>>,
    /// Whether the session is kept for a restore, and the old sid it asked to restore.
    pub(super) resumption: Resumption,
}

impl Session {
    pub(super) fn id(&self) -> SessionId {
        self.id
    }

    /// Where the hub and the pinger queue this client's frames.
    pub(super) fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// A session for client `id` / `sid`; `env` is the request as the application sees it (kept
    /// only when there is an application).
    pub(super) fn new(
        id: SessionId,
        sid: Arc<str>,
        env: Option<Box<Env>>,
        settings: Arc<SessionSettings>,
        hub: Arc<Hub>,
        outbox: Outbox,
        broker: Option<Arc<dyn Broker>>,
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
            subscriptions: Subscriptions::default(),
            broker,
            replay: None,
            resumption: Resumption::default(),
        }
    }

    /// How the session opens, given the auth verdict: a welcome, a refusal, the application's
    /// `connect` to ask (its reply goes to [`Session::apply`]), or, once authenticated, the
    /// restore it asked for (see [`resumption`](super::resumption)).
    pub(super) fn open(&mut self, verdict: Verdict) -> Effects {
        match verdict {
            Verdict::Refused(reason) => Effects::end(reason),
            Verdict::Identified { identifiers, .. } => {
                self.identifiers = identifiers;
                self.welcome_or_restore(vec![protocol::welcome(&self.sid)])
            }
            Verdict::Anonymous => self.welcome_or_restore(vec![protocol::welcome(&self.sid)]),
            // The verdict asks only when there is an application; without one nobody can accept.
            Verdict::AskApplication => self
                .connect_call()
                .map_or(Effects::end(DisconnectReason::Unauthorized), Effects::ask),
        }
    }

    /// Acts on one command from the client.
    pub(super) fn handle(&mut self, command: Command) -> Effects {
        match command {
            Command::Subscribe {
                identifier,
                history,
                presence,
            } => self.subscribe(identifier, history, presence),
            Command::Unsubscribe { identifier } => self.unsubscribe(&identifier),
            Command::Message { identifier, data } => self.perform(&identifier, data),
            Command::Whisper { identifier, data } => {
                self.whisper(&identifier, &data);
                Effects::default()
            }
            Command::Ping => Effects::send(protocol::pong()),
            // A pong needs no answer: arriving at all is what keeps the client alive (the socket
            // loop counts every frame it reads).
            Command::Pong => Effects::default(),
            Command::History {
                identifier,
                request,
            } => self.ask_history(&identifier, request),
            Command::Join {
                identifier,
                presence,
            } => self.join_presence(&identifier, presence),
            Command::Leave { identifier } => self.leave_presence(&identifier),
            Command::PresenceInfo { identifier } => self.presence_info(&identifier),
            Command::Unknown => Effects::default(),
        }
    }

    /// Leaves every stream; the application's `disconnect` call, if it has seen this session.
    pub(super) fn finish(&mut self) -> Option<Goodbye> {
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

    /// Subscribes, then (once confirmed) answers `history` if asked, then joins the presence if
    /// asked; a rejected subscription gets neither.
    fn subscribe(
        &mut self,
        identifier: String,
        history: Option<HistoryAsk>,
        presence: Option<PresenceJoin>,
    ) -> Effects {
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
            .is_some_and(|channel| !is_stream_channel(&self.settings.channels, &channel));
        match for_application
            .then(|| self.command_call("subscribe", &identifier, None))
            .flatten()
        {
            Some(call) => Effects::ask(call.then_history(history)),
            // Stream channels are answered here; anything else without an application is rejected.
            None => self.subscribe_stream(identifier, history, presence),
        }
    }

    fn subscribe_stream(
        &mut self,
        identifier: String,
        history: Option<HistoryAsk>,
        presence: Option<PresenceJoin>,
    ) -> Effects {
        let Some(grant) = resolve_stream(&self.settings.channels, &identifier) else {
            return Effects::send(protocol::reject(&identifier));
        };
        let identifier: Arc<str> = Arc::from(identifier);
        self.subscriptions.insert(
            Arc::clone(&identifier),
            Subscription {
                streams: Vec::new(),
                whisper: grant.whisper,
                application: false,
                presence: Presence::allowed_if(grant.presence),
            },
        );
        self.stream_from(&identifier, grant.stream);
        let confirmed = Effects::send(protocol::confirm(&identifier));
        let answered = self.then_history(confirmed, &identifier, history);
        match presence {
            Some(join) => self.then_join(answered, &identifier, join),
            None => answered,
        }
    }

    /// `effects` (a confirmed subscription), followed by the answer to its history request.
    pub(super) fn then_history(
        &mut self,
        mut effects: Effects,
        identifier: &str,
        history: Option<HistoryAsk>,
    ) -> Effects {
        let Some(history) = history else {
            return effects;
        };
        let answer = self.ask_history(identifier, history);
        effects.frames.extend(answer.frames);
        effects.broker = answer.broker;
        effects
    }

    fn unsubscribe(&mut self, identifier: &str) -> Effects {
        let Some(subscription) = self.leave(identifier) else {
            return Effects::default();
        };
        self.forget_replay(identifier);
        if let Some(left) = self.presence_left_with(&subscription) {
            return left;
        }
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
        // Room for the one stream most subscriptions have, not the four a push makes.
        if subscription.streams.capacity() == 0 {
            subscription.streams.reserve_exact(1);
        }
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

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::hub::HubStats;
    use serde_json::json;

    fn subscribe(identifier: &str) -> Command {
        Command::Subscribe {
            identifier: identifier.into(),
            history: None,
            presence: None,
        }
    }

    fn whisper(identifier: &str) -> Command {
        Command::Whisper {
            identifier: identifier.into(),
            data: RawValue::from_string(r#"{"typing":true}"#.into()).unwrap(),
        }
    }

    #[test]
    fn a_token_or_noauth_session_is_welcomed_with_its_sid_and_a_refused_one_disconnected() {
        let mut server = Server::new(options(), false);
        let (_, welcomed) = server.open(Verdict::Anonymous);
        assert_eq!(texts(&welcomed), [r#"{"type":"welcome","sid":"sid-1"}"#]);
        assert!(welcomed.disconnect.is_none() && welcomed.call.is_none());
        let (_, refused) = server.open(Verdict::Refused(DisconnectReason::TokenExpired));
        assert!(refused.frames.is_empty());
        assert_eq!(refused.disconnect, Some(DisconnectReason::TokenExpired));
    }

    #[test]
    fn a_client_ping_is_answered_with_a_pong_and_a_pong_with_nothing() {
        let mut server = Server::new(options(), false);
        let mut client = server.client();
        let ping = client.session.handle(Command::Ping);
        assert_eq!(texts(&ping), [r#"{"type":"pong"}"#]);
        assert!(ping.call.is_none() && ping.disconnect.is_none());
        let pong = client.session.handle(Command::Pong);
        assert!(pong.frames.is_empty() && pong.call.is_none() && pong.disconnect.is_none());
    }

    #[test]
    fn public_signed_and_turbo_streams_confirm_and_receive_broadcasts() {
        let mut server = Server::new(options(), false);
        let mut client = server.client();
        for (identifier, stream) in [
            (public("lobby"), "lobby"),
            (signed_ok("$pubsub", "chat/1"), "chat/1"),
            (
                signed_ok("Turbo::StreamsChannel", "gid://app/Room/1"),
                "gid://app/Room/1",
            ),
        ] {
            let effects = client.session.handle(subscribe(&identifier));
            assert_eq!(texts(&effects), [confirmed(&identifier)]);
            assert!(effects.call.is_none() && effects.disconnect.is_none());
            assert_eq!(server.broadcast(stream, 7), 1, "{stream}");
            assert_eq!(client.received(), Some(broadcast_frame(&identifier, 7)));
        }
    }

    #[test]
    fn a_badly_signed_or_unknown_stream_is_rejected_and_streams_nothing() {
        let mut server = Server::new(options(), false);
        let mut client = server.client();
        for identifier in [
            signed("$pubsub", "chat/1", "forged"),
            json!({"channel": "Turbo::StreamsChannel", "stream_name": "x"}).to_string(),
            chat(1),
            "not json".into(),
        ] {
            let effects = client.session.handle(subscribe(&identifier));
            assert_eq!(texts(&effects), [rejected(&identifier)]);
            assert!(effects.disconnect.is_none());
        }
        assert_eq!(server.hub.stats(), HubStats::default());
    }

    #[test]
    fn a_second_subscribe_with_the_same_identifier_is_ignored() {
        let mut server = Server::new(options(), false);
        let mut client = server.client();
        let _ = client.session.handle(subscribe(&public("lobby")));
        let again = client.session.handle(subscribe(&public("lobby")));
        assert!(again.frames.is_empty() && again.call.is_none());
        assert_eq!(server.broadcast("lobby", 1), 1);
        assert_eq!(server.hub.stats().subscriptions, 1);
    }

    #[test]
    fn over_max_subscriptions_a_subscribe_is_rejected_and_the_connection_stays() {
        let mut server = Server::new(
            SessionSettings {
                max_subscriptions: 2,
                ..options()
            },
            false,
        );
        let mut client = server.client();
        let _ = client.session.handle(subscribe(&public("a")));
        let _ = client.session.handle(subscribe(&public("b")));
        let third = client.session.handle(subscribe(&public("c")));
        assert_eq!(texts(&third), [rejected(&public("c"))]);
        assert_eq!(third.disconnect, None);
        assert_eq!(server.broadcast("c", 1), 0);
        assert_eq!(server.broadcast("a", 1), 1);
        // Leaving one makes room again.
        let _ = client.session.handle(Command::Unsubscribe {
            identifier: public("a"),
        });
        let retried = client.session.handle(subscribe(&public("c")));
        assert_eq!(texts(&retried), [confirmed(&public("c"))]);
    }

    #[test]
    fn identifiers_over_max_identifier_bytes_are_rejected_and_the_connection_stays() {
        let mut server = Server::new(options(), false);
        let mut client = server.client();
        let padding = MAX_IDENTIFIER_BYTES - public("").len();
        let longest = public(&"x".repeat(padding));
        assert_eq!(longest.len(), MAX_IDENTIFIER_BYTES);
        let too_long = public(&"x".repeat(padding + 1));
        let effects = client.session.handle(subscribe(&too_long));
        assert_eq!(texts(&effects), [rejected(&too_long)]);
        assert_eq!(effects.disconnect, None);
        let effects = client.session.handle(subscribe(&longest));
        assert_eq!(texts(&effects), [confirmed(&longest)]);
        assert_eq!(server.hub.stats().subscriptions, 1);
    }

    #[test]
    fn unsubscribe_leaves_the_streams_and_unknown_identifiers_are_ignored() {
        let mut server = Server::new(options(), false);
        let mut client = server.client();
        let _ = client.session.handle(subscribe(&public("lobby")));
        let left = client.session.handle(Command::Unsubscribe {
            identifier: public("lobby"),
        });
        assert!(left.frames.is_empty() && left.call.is_none());
        assert_eq!(server.hub.stats(), HubStats::default());
        assert_eq!(server.broadcast("lobby", 1), 0);
        let unknown = client.session.handle(Command::Unsubscribe {
            identifier: public("lobby"),
        });
        assert!(unknown.frames.is_empty() && unknown.call.is_none());
    }

    #[test]
    fn whispers_reach_the_other_subscribers_of_whisperable_streams_only() {
        let mut server = Server::new(options(), false);
        let mut sender = server.client();
        let mut listener = server.client();
        let lobby = public("lobby");
        let signed = signed_ok("$pubsub", "chat/1");
        for client in [&mut sender, &mut listener] {
            let _ = client.session.handle(subscribe(&lobby));
            let _ = client.session.handle(subscribe(&signed));
        }
        let effects = sender.session.handle(whisper(&lobby));
        assert!(effects.frames.is_empty());
        assert_eq!(
            listener.received().as_deref(),
            Some(
                r#"{"identifier":"{\"channel\":\"$pubsub\",\"stream_name\":\"lobby\"}","message":{"typing":true}}"#
            )
        );
        assert_eq!(sender.received(), None, "never back to the sender");
        // Signed streams allow whispers only with streamsWhisper; unknown identifiers none.
        let _ = sender.session.handle(whisper(&signed));
        let _ = sender.session.handle(whisper(&public("elsewhere")));
        assert_eq!(listener.received(), None);
    }

    #[test]
    fn streams_whisper_allows_whispering_on_signed_streams() {
        let mut server = Server::new(
            {
                let mut settings = options();
                settings.channels.streams_whisper = true;
                settings
            },
            false,
        );
        let signed = signed_ok("$pubsub", "chat/1");
        let mut sender = server.client();
        let mut listener = server.client();
        let _ = sender.session.handle(subscribe(&signed));
        let _ = listener.session.handle(subscribe(&signed));
        let _ = sender.session.handle(whisper(&signed));
        assert!(listener.received().is_some());
    }

    #[test]
    fn application_channels_ask_the_application_and_stream_channels_do_not() {
        let mut server = Server::new(options(), true);
        let mut client = server.client();
        let effects = client.session.handle(subscribe(&chat(1)));
        assert!(effects.frames.is_empty());
        let call = effects.call.expect("the application decides");
        let request = command(&call);
        assert_eq!(
            (request.command.as_str(), request.identifier.as_str()),
            ("subscribe", chat(1).as_str())
        );
        assert_eq!(request.connection_identifiers, r#"{"user":"u1"}"#);
        let confirmed = client.session.apply(answer(call, json!({"status": 1})));
        assert!(confirmed.frames.is_empty());

        let perform = client.session.handle(Command::Message {
            identifier: chat(1),
            data: r#"{"action":"speak"}"#.into(),
        });
        let call = perform.call.expect("the application performs");
        assert_eq!(command(&call).command, "message");
        assert_eq!(
            command(&call).data.as_deref(),
            Some(r#"{"action":"speak"}"#)
        );

        // A stream channel has no actions, and an identifier never subscribed is ignored.
        let _ = client.session.handle(subscribe(&public("lobby")));
        for identifier in [public("lobby"), chat(2)] {
            let effects = client.session.handle(Command::Message {
                identifier,
                data: "{}".into(),
            });
            assert!(effects.call.is_none() && effects.frames.is_empty());
        }
    }

    #[test]
    fn unsubscribing_an_application_channel_leaves_its_streams_and_tells_the_application() {
        let mut server = Server::new(options(), true);
        let mut client = server.client();
        let call = client.session.handle(subscribe(&chat(1))).call.unwrap();
        let _ = client
            .session
            .apply(answer(call, json!({"status": 1, "streams": ["room:1"]})));
        let effects = client.session.handle(Command::Unsubscribe {
            identifier: chat(1),
        });
        assert_eq!(server.broadcast("room:1", 1), 0);
        let call = effects.call.expect("the application hears of it");
        assert_eq!(command(&call).command, "unsubscribe");
    }

    #[test]
    fn finish_leaves_every_stream_and_names_the_application_channels() {
        let mut server = Server::new(options(), true);
        let mut client = server.client();
        let call = client.session.handle(subscribe(&chat(1))).call.unwrap();
        let _ = client
            .session
            .apply(answer(call, json!({"status": 1, "streams": ["room:1"]})));
        let _ = client.session.handle(subscribe(&public("lobby")));
        let goodbye = client.session.finish().expect("the application saw it");
        assert_eq!(goodbye.request.subscriptions, [chat(1)]);
        assert_eq!(goodbye.request.identifiers, r#"{"user":"u1"}"#);
        assert_eq!(server.hub.stats(), HubStats::default());
    }

    #[test]
    fn a_token_session_that_never_used_the_application_gets_no_goodbye() {
        let mut server = Server::new(options(), true);
        let mut client = server.client();
        let _ = client.session.handle(subscribe(&public("lobby")));
        assert!(client.session.finish().is_none());
        assert_eq!(server.hub.stats(), HubStats::default());
    }
}
