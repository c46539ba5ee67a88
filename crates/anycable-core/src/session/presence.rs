//! Presence on a subscription's stream: `join` (also on `subscribe`), `leave` (also on
//! `unsubscribe`) and `presence`, through the broker. Changes go to every subscriber of the stream
//! through the hub (the joiner too) as transient frames; the `info` reply goes to the asker only.
//!
//! Only subscriptions with presence rights (public streams; signed ones unless `streamsPresence`
//! is off; never Turbo or application channels) may use it; otherwise, and for an unknown
//! identifier, a command gets no frame, as in the reference. A connected session that joined
//! anything keeps its presence alive (the socket loop calls [`Session::keep_presence`] every half
//! `presenceTtl`, whatever the protocol); at disconnect it is touched once more, so it lapses
//! `presenceTtl` later unless the id comes back.

use std::sync::Arc;

use serde_json::value::RawValue;

use super::broker_call::{BrokerCall, BrokerReply};
use super::core::{Effects, Session, Subscription};
use crate::broker::{Broker, BrokerError, PresenceChange, PresenceInfo};
use crate::log::log;
use crate::protocol::{self, PresenceEvent, PresenceJoin, PresenceRecord};

/// A subscription's presence: whether it may join its stream's, and whether it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Presence {
    /// No presence stream (Turbo, application channels, signed streams with `streamsPresence`
    /// off).
    Forbidden,
    Allowed,
    Joined,
}

impl Presence {
    pub(super) fn allowed_if(allowed: bool) -> Presence {
        if allowed {
            Presence::Allowed
        } else {
            Presence::Forbidden
        }
    }
}

/// The broker's answer to a presence call.
pub(super) enum PresenceReply {
    /// A join of subscription `identifier`: the change to tell the stream's subscribers, if any.
    Joined {
        identifier: Arc<str>,
        stream: String,
        answer: Result<Option<PresenceChange>, BrokerError>,
    },
    /// A leave: the change to tell the stream's subscribers, if any.
    Left {
        stream: String,
        answer: Result<Option<PresenceChange>, BrokerError>,
    },
    /// Who is on the stream, for the asker only.
    Info {
        identifier: Arc<str>,
        answer: Result<PresenceInfo, BrokerError>,
    },
    /// The session's presence was kept alive.
    Touched,
}

impl Session {
    /// Subscription `identifier` (shared) and its stream, if it may use presence.
    fn presence_stream(&self, identifier: &str) -> Option<(Arc<str>, String)> {
        let (identifier, subscription) = self.subscriptions.get_key_value(identifier)?;
        if subscription.presence == Presence::Forbidden {
            return None;
        }
        let stream = subscription.streams.first()?.clone();
        Some((Arc::clone(identifier), stream))
    }

    /// `join` (or `subscribe` with `presence`): a broker call, or nothing without presence rights
    /// or a broker. A join the broker refuses (another id from this session, an info over
    /// `MAX_PRESENCE_INFO_BYTES`) sends nothing.
    pub(super) fn join_presence(&mut self, identifier: &str, join: PresenceJoin) -> Effects {
        let (Some((identifier, stream)), Some(broker)) =
            (self.presence_stream(identifier), self.broker.clone())
        else {
            return Effects::default();
        };
        let sid = Arc::clone(&self.sid);
        let call = BrokerCall::new(async move {
            let info = join.info.as_deref().map(RawValue::get);
            let answer = broker.join_presence(&stream, &sid, &join.id, info).await;
            BrokerReply::Presence(PresenceReply::Joined {
                identifier,
                stream,
                answer,
            })
        });
        Effects {
            broker: Some(call),
            ..Effects::default()
        }
    }

    /// `effects` (a confirmed subscription and its history answer), followed by a join.
    pub(super) fn then_join(
        &mut self,
        mut effects: Effects,
        identifier: &str,
        join: PresenceJoin,
    ) -> Effects {
        let joined = self.join_presence(identifier, join);
        effects.broker = match (effects.broker.take(), joined.broker) {
            (Some(history), Some(join)) => Some(history.then(join)),
            (first, second) => first.or(second),
        };
        effects
    }

    /// `leave`: a broker call if the subscription joined, else nothing.
    pub(super) fn leave_presence(&mut self, identifier: &str) -> Effects {
        let Some(subscription) = self.subscriptions.get_mut(identifier) else {
            return Effects::default();
        };
        let left = match self.broker.clone() {
            Some(broker) if subscription.presence == Presence::Joined => {
                subscription.presence = Presence::Allowed;
                subscription
                    .streams
                    .first()
                    .map(|stream| leave_call(broker, Arc::clone(&self.sid), stream.clone()))
            }
            _ => None,
        };
        Effects {
            broker: left,
            ..Effects::default()
        }
    }

    /// The leave of a subscription just removed (`unsubscribe`), if it had joined.
    pub(super) fn presence_left_with(&self, subscription: &Subscription) -> Option<Effects> {
        if subscription.presence != Presence::Joined {
            return None;
        }
        let broker = self.broker.clone()?;
        let stream = subscription.streams.first()?.clone();
        Some(Effects {
            broker: Some(leave_call(broker, Arc::clone(&self.sid), stream)),
            ..Effects::default()
        })
    }

    /// `presence`: who is on the stream, to this session only; `error` without a broker.
    pub(super) fn presence_info(&mut self, identifier: &str) -> Effects {
        let Some((identifier, stream)) = self.presence_stream(identifier) else {
            return Effects::default();
        };
        let Some(broker) = self.broker.clone() else {
            return Effects::send(protocol::presence(&identifier, PresenceEvent::Error));
        };
        let call = BrokerCall::new(async move {
            let answer = broker.presence(&stream).await;
            BrokerReply::Presence(PresenceReply::Info { identifier, answer })
        });
        Effects {
            broker: Some(call),
            ..Effects::default()
        }
    }

    /// Whether any subscription joined a presence (so the session keeps it alive).
    pub(super) fn holds_presence(&self) -> bool {
        self.subscriptions
            .values()
            .any(|subscription| subscription.presence == Presence::Joined)
    }

    /// Keeps the session's presence alive for another `presenceTtl`: a broker call, or `None`
    /// when it holds none. Called every half `presenceTtl` while connected, and at disconnect.
    pub(super) fn keep_presence(&self) -> Option<BrokerCall> {
        if !self.holds_presence() {
            return None;
        }
        let broker = self.broker.clone()?;
        let sid = Arc::clone(&self.sid);
        let settings = Arc::clone(&self.settings);
        Some(BrokerCall::new(async move {
            if let Err(error) = broker.touch_presence(&sid).await {
                log!(
                    settings.log,
                    Warn,
                    "keeping presence alive failed",
                    sid = sid,
                    error = error,
                );
            }
            BrokerReply::Presence(PresenceReply::Touched)
        }))
    }

    /// Acts on the broker's answer to a presence call.
    pub(super) fn presence_replied(&mut self, reply: PresenceReply) -> Effects {
        match reply {
            PresenceReply::Joined {
                identifier,
                stream,
                answer,
            } => {
                let Ok(change) = answer else {
                    return Effects::default();
                };
                if let Some(subscription) = self.subscriptions.get_mut(&identifier) {
                    subscription.presence = Presence::Joined;
                }
                if let Some(change) = change {
                    self.announce(&stream, &change);
                }
                Effects::default()
            }
            PresenceReply::Left { stream, answer } => {
                if let Ok(Some(change)) = answer {
                    self.announce(&stream, &change);
                }
                Effects::default()
            }
            PresenceReply::Info { identifier, answer } => {
                Effects::send(info_frame(&identifier, answer))
            }
            PresenceReply::Touched => Effects::default(),
        }
    }

    /// Tells the stream's subscribers of `change`, unless the broker already delivers it to every
    /// node's subscribers (this one's included), which would make it arrive twice.
    fn announce(&self, stream: &str, change: &PresenceChange) {
        if !self.broker.as_ref().is_some_and(|broker| broker.fans_out()) {
            self.hub.presence(stream, change);
        }
    }
}

/// Session `sid` leaves the presence of `stream`.
fn leave_call(broker: Arc<dyn Broker>, sid: Arc<str>, stream: String) -> BrokerCall {
    BrokerCall::new(async move {
        let answer = broker.leave_presence(&stream, &sid).await;
        BrokerReply::Presence(PresenceReply::Left { stream, answer })
    })
}

/// The `info` reply (`total` and the records), or `error` when the broker failed.
fn info_frame(identifier: &str, answer: Result<PresenceInfo, BrokerError>) -> protocol::Frame {
    let Ok(info) = answer else {
        return protocol::presence(identifier, PresenceEvent::Error);
    };
    let records: Vec<PresenceRecord> = info
        .records
        .iter()
        .map(|record| PresenceRecord {
            id: &record.id,
            // Kept as the JSON text the client sent, so it parses.
            info: record
                .info
                .as_deref()
                .and_then(|info| serde_json::from_str(info).ok()),
        })
        .collect();
    protocol::presence(identifier, PresenceEvent::Info { records: &records })
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;
    use serde_json::{json, Value};

    use super::super::testing::*;
    use super::*;
    use crate::protocol::{Command, HistoryRequest};

    fn join(identifier: &str, id: &str, info: Value) -> Command {
        Command::Join {
            identifier: identifier.into(),
            presence: presence(id, info),
        }
    }

    fn presence(id: &str, info: Value) -> PresenceJoin {
        PresenceJoin {
            id: id.into(),
            info: Some(RawValue::from_string(info.to_string()).unwrap()),
        }
    }

    fn info(identifier: &str) -> Command {
        Command::PresenceInfo {
            identifier: identifier.into(),
        }
    }

    /// Carries out the broker call of `effects` (answered at once) and applies its reply.
    fn answer_broker(client: &mut Client, effects: Effects) -> Effects {
        let call = effects.broker.expect("a broker call");
        let reply = call.send().now_or_never().expect("answered at once");
        client.session.apply_broker(reply)
    }

    /// Handles `command`, carrying out its broker call if any; the frames sent to the client.
    fn run(client: &mut Client, command: Command) -> Vec<Value> {
        let mut effects = client.session.handle(command);
        let mut frames = parsed(&effects);
        if effects.broker.is_some() {
            effects = answer_broker(client, effects);
            frames.extend(parsed(&effects));
        }
        frames
    }

    fn parsed(effects: &Effects) -> Vec<Value> {
        texts(effects)
            .into_iter()
            .map(|text| serde_json::from_str(text).unwrap())
            .collect()
    }

    /// The frames the hub queued for `client`, parsed.
    fn queued(client: &mut Client) -> Vec<Value> {
        client
            .delivered()
            .iter()
            .map(|text| serde_json::from_str(text).unwrap())
            .collect()
    }

    fn event(identifier: &str, message: Value) -> Value {
        json!({"type": "presence", "identifier": identifier, "message": message})
    }

    fn subscribed(server: &mut Server, identifier: &str) -> Client {
        let mut client = server.client();
        let frames = run(
            &mut client,
            Command::Subscribe {
                identifier: identifier.into(),
                history: None,
                presence: None,
            },
        );
        assert_eq!(frames[0]["type"], "confirm_subscription");
        client
    }

    #[test]
    fn a_join_reaches_every_subscriber_the_joiner_too_and_info_only_the_asker() {
        let mut server = Server::with_broker(options(), 100);
        let lobby = public("lobby");
        let mut ann = subscribed(&mut server, &lobby);
        let mut bob = subscribed(&mut server, &lobby);
        assert_eq!(
            run(&mut bob, info(&lobby)),
            [event(&lobby, json!({"type": "info", "total": 0}))]
        );
        assert!(run(&mut ann, join(&lobby, "u1", json!({"name": "Ann"}))).is_empty());
        let joined = event(
            &lobby,
            json!({"type": "join", "id": "u1", "info": {"name": "Ann"}}),
        );
        assert_eq!(queued(&mut ann), std::slice::from_ref(&joined));
        assert_eq!(queued(&mut bob), [joined]);
        assert_eq!(
            run(&mut bob, info(&lobby)),
            [event(
                &lobby,
                json!({"type": "info", "total": 1, "records": [{"id": "u1", "info": {"name": "Ann"}}]})
            )]
        );
        assert!(queued(&mut ann).is_empty(), "the info reply is the asker's");
    }

    #[test]
    fn joining_again_updates_the_info_silently_and_another_id_is_refused_silently() {
        let mut server = Server::with_broker(options(), 100);
        let lobby = public("lobby");
        let mut ann = subscribed(&mut server, &lobby);
        let _ = run(&mut ann, join(&lobby, "u1", json!("A")));
        assert_eq!(queued(&mut ann).len(), 1);
        assert!(run(&mut ann, join(&lobby, "u1", json!("B"))).is_empty());
        assert!(run(&mut ann, join(&lobby, "u2", json!("C"))).is_empty());
        assert!(queued(&mut ann).is_empty());
        assert_eq!(
            run(&mut ann, info(&lobby))[0]["message"],
            json!({"type": "info", "total": 1, "records": [{"id": "u1", "info": "B"}]})
        );
    }

    #[test]
    fn leave_and_unsubscribe_tell_every_subscriber() {
        let mut server = Server::with_broker(options(), 100);
        let lobby = public("lobby");
        let mut ann = subscribed(&mut server, &lobby);
        let mut bob = subscribed(&mut server, &lobby);
        let left = event(&lobby, json!({"type": "leave", "id": "u1"}));
        let _ = run(&mut ann, join(&lobby, "u1", json!(null)));
        let _ = queued(&mut bob);
        let _ = run(
            &mut ann,
            Command::Leave {
                identifier: lobby.clone(),
            },
        );
        assert_eq!(queued(&mut bob), std::slice::from_ref(&left));
        // A second leave has nothing to leave: no broker call, no frame.
        let again = ann.session.handle(Command::Leave {
            identifier: lobby.clone(),
        });
        assert!(again.broker.is_none() && again.frames.is_empty());

        let _ = run(&mut ann, join(&lobby, "u1", json!(null)));
        let _ = queued(&mut bob);
        let _ = run(
            &mut ann,
            Command::Unsubscribe {
                identifier: lobby.clone(),
            },
        );
        assert_eq!(queued(&mut bob), [left]);
    }

    #[test]
    fn subscribe_with_presence_joins_after_the_confirmation_and_the_history() {
        let mut server = Server::with_broker(options(), 100);
        let lobby = public("lobby");
        server.publish("lobby", 1);
        let mut ann = server.client();
        let effects = ann.session.handle(Command::Subscribe {
            identifier: lobby.clone(),
            history: Some(Ok(HistoryRequest {
                since: Some(1),
                streams: vec![],
            })),
            presence: Some(presence("u9", json!("x"))),
        });
        let mut frames = parsed(&effects);
        frames.extend(parsed(&answer_broker(&mut ann, effects)));
        let kinds: Vec<_> = frames
            .iter()
            .map(|frame| frame["type"].as_str().unwrap_or("data").to_owned())
            .collect();
        assert_eq!(kinds, ["confirm_subscription", "data", "confirm_history"]);
        assert_eq!(
            queued(&mut ann),
            [event(
                &lobby,
                json!({"type": "join", "id": "u9", "info": "x"})
            )],
            "after the frames written directly"
        );
        assert!(ann.session.holds_presence());
    }

    #[test]
    fn without_rights_or_for_an_unknown_identifier_there_is_no_frame() {
        let mut server = Server::with_broker(
            {
                let mut settings = options();
                settings.channels.streams_presence = false;
                settings
            },
            100,
        );
        for identifier in [
            signed_ok("Turbo::StreamsChannel", "gid://app/Room/1"),
            signed_ok("$pubsub", "chat/1"),
        ] {
            let mut client = subscribed(&mut server, &identifier);
            for command in [join(&identifier, "u1", json!(null)), info(&identifier)] {
                let effects = client.session.handle(command);
                assert!(effects.frames.is_empty() && effects.broker.is_none());
            }
            assert!(client.session.keep_presence().is_none());
        }
        let mut client = server.client();
        let effects = client.session.handle(info(&public("never-subscribed")));
        assert!(effects.frames.is_empty() && effects.broker.is_none());
    }

    #[test]
    fn signed_streams_have_presence_by_default() {
        let mut server = Server::with_broker(options(), 100);
        let chat = signed_ok("$pubsub", "chat/1");
        let mut ann = subscribed(&mut server, &chat);
        let _ = run(&mut ann, join(&chat, "u1", json!(null)));
        assert_eq!(queued(&mut ann)[0]["message"]["type"], "join");
    }

    #[test]
    fn without_a_broker_info_is_an_error_and_join_sends_nothing() {
        let mut server = Server::new(options(), false);
        let lobby = public("lobby");
        let mut ann = subscribed(&mut server, &lobby);
        assert!(run(&mut ann, join(&lobby, "u1", json!(null))).is_empty());
        assert!(queued(&mut ann).is_empty());
        assert_eq!(
            run(&mut ann, info(&lobby)),
            [event(&lobby, json!({"type": "error", "total": 0}))]
        );
    }

    #[test]
    fn only_a_session_that_joined_keeps_presence_alive() {
        let mut server = Server::with_broker(options(), 100);
        let lobby = public("lobby");
        let mut ann = subscribed(&mut server, &lobby);
        assert!(ann.session.keep_presence().is_none());
        let _ = run(&mut ann, join(&lobby, "u1", json!(null)));
        let touch = ann.session.keep_presence().expect("a touch");
        assert!(matches!(
            touch.send().now_or_never(),
            Some(BrokerReply::Presence(PresenceReply::Touched))
        ));
        let _ = run(&mut ann, Command::Leave { identifier: lobby });
        assert!(ann.session.keep_presence().is_none());
    }

    #[test]
    fn an_oversized_info_is_refused_and_not_kept() {
        let mut server = Server::with_broker(options(), 100);
        let lobby = public("lobby");
        let mut ann = subscribed(&mut server, &lobby);
        // Over MAX_PRESENCE_INFO_BYTES (4 KiB).
        let big = json!("x".repeat(5000));
        assert!(run(&mut ann, join(&lobby, "u1", big)).is_empty());
        assert!(queued(&mut ann).is_empty());
        assert!(!ann.session.holds_presence());
        assert_eq!(
            run(&mut ann, info(&lobby))[0]["message"],
            json!({"type": "info", "total": 0})
        );
    }
}
