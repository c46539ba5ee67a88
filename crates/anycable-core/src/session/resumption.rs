//! Session resumption (extended protocol only): a session is kept in the broker when its
//! connection ends, and a client that reconnects with its old `sid` gets it back — its
//! subscriptions and streams, whisper rights and application state — without subscribing again.
//!
//! This project's rules (decided, stricter than the reference):
//! - restoring never skips authentication: the client is identified first, exactly as on a fresh
//!   connect, and the snapshot is looked up under the old sid *bound to the identifiers that
//!   authentication produced* ([`cache_key`]). A sid of another user finds nothing, and since
//!   nothing is taken, that user's session stays restorable by its owner;
//! - a restore takes the snapshot out of the broker: a sid is restored at most once;
//! - a session is stored when its connection ends, unless the server ended it with
//!   `reconnect: false` (unauthorized, token expired, remote): those are never restorable.
//!
//! Storing once, at the end, is one broker write per connection and holds for any broker (memory
//! or Redis): the snapshot is complete when written and expires `sessionsTtl` after the
//! disconnect. The price: a client that reconnects before the server noticed its old connection
//! died (a half-open TCP connection) finds nothing yet and subscribes again with history.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::broker_call::{BrokerCall, BrokerReply};
use super::core::{Effects, Session, Subscription};
use super::presence::Presence;
use crate::protocol::{self, Frame};

/// What is kept of a session: serialised with serde_json into the broker's opaque snapshot.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Snapshot {
    /// The connection identifiers, compared again on restore.
    identifiers: String,
    subscriptions: Vec<KeptSubscription>,
    /// Connection state the application set (`cstate`).
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    cstate: HashMap<String, String>,
    /// Channel state the application set (`istate`).
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    istate: HashMap<String, String>,
    /// A command of the session went to the application (so it gets `disconnect` at the end).
    #[serde(default)]
    used_application: bool,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct KeptSubscription {
    identifier: String,
    streams: Vec<String>,
    whisper: bool,
    application: bool,
    /// Presence rights; whether it had joined is not kept: the client joins again after a restore.
    #[serde(default)]
    presence: bool,
}

/// The broker's answer to a restore attempt, and the frames to send when nothing is restored
/// (the fresh welcome, or the application's transmissions from its `connect`).
pub(super) struct RestoreReply {
    snapshot: Option<String>,
    fresh: Vec<Frame>,
}

/// Whether a session can be resumed, and the sid it asked to resume.
#[derive(Default)]
pub(super) struct Resumption {
    /// An extended-protocol session with a broker: stored at its end, may restore at its start.
    pub(super) resumable: bool,
    /// The old sid from `?sid=` or `X-AnyCable-Restore-Sid`, until the restore is attempted.
    pub(super) restore_sid: Option<Box<str>>,
}

/// The broker key of session `sid` of the client identified by `identifiers`: the sid bound to a
/// digest of its identifiers, so that only the same identifiers find it again.
fn cache_key(sid: &str, identifiers: &str) -> String {
    let digest = Sha256::digest(identifiers.as_bytes());
    format!("{sid}/{}", hex::encode(&digest[..16]))
}

impl Session {
    /// The welcome of an authenticated session: `fresh` (the frames of a new session), or a broker
    /// call to restore the session it asked for (whose reply goes to [`Session::restored`]).
    pub(super) fn welcome_or_restore(&mut self, fresh: Vec<Frame>) -> Effects {
        let restore_sid = self.resumption.restore_sid.take();
        let (Some(old_sid), Some(broker), true) =
            (restore_sid, self.broker.clone(), self.resumption.resumable)
        else {
            return Effects {
                frames: fresh,
                ..Effects::default()
            };
        };
        let key = cache_key(&old_sid, &self.identifiers);
        let call = BrokerCall::new(async move {
            // A broker failure is a session not found: the client subscribes again.
            let snapshot = broker.take_session(&key).await.ok().flatten();
            BrokerReply::Restore(RestoreReply { snapshot, fresh })
        });
        Effects {
            broker: Some(call),
            ..Effects::default()
        }
    }

    /// Restores the snapshot (if any and still this client's): re-subscribes the hub to every kept
    /// stream, then the restored welcome; else the fresh frames.
    pub(super) fn restored(&mut self, reply: RestoreReply) -> Effects {
        let snapshot = reply
            .snapshot
            .and_then(|text| serde_json::from_str::<Snapshot>(&text).ok())
            .filter(|snapshot| snapshot.identifiers == self.identifiers);
        let Some(snapshot) = snapshot else {
            return Effects {
                frames: reply.fresh,
                ..Effects::default()
            };
        };
        let mut restored_ids = Vec::with_capacity(snapshot.subscriptions.len());
        for kept in snapshot.subscriptions {
            let identifier: Arc<str> = Arc::from(kept.identifier);
            self.subscriptions.insert(
                Arc::clone(&identifier),
                Subscription {
                    streams: Vec::new(),
                    whisper: kept.whisper,
                    application: kept.application,
                    presence: Presence::allowed_if(kept.presence),
                },
            );
            for stream in kept.streams {
                self.stream_from(&identifier, stream);
            }
            restored_ids.push(identifier);
        }
        self.used_application |= snapshot.used_application;
        if !snapshot.cstate.is_empty() || !snapshot.istate.is_empty() {
            let env = self.env.get_or_insert_with(Box::default);
            // What this connect set is newer than the kept connection state.
            let cstate = env.cstate.get_or_insert_with(HashMap::new);
            for (key, value) in snapshot.cstate {
                cstate.entry(key).or_insert(value);
            }
            env.istate
                .get_or_insert_with(HashMap::new)
                .extend(snapshot.istate);
        }
        let welcome = protocol::restored_welcome(&self.sid, restored_ids.iter().map(|id| &**id));
        self.hold_until_history(restored_ids);
        Effects::send(welcome)
    }

    /// The broker call keeping this session for a later restore, if it is resumable. Call before
    /// [`Session::finish`], which leaves the subscriptions.
    pub(super) fn keep(&self) -> Option<BrokerCall> {
        if !self.resumption.resumable {
            return None;
        }
        let broker = self.broker.clone()?;
        let env = self.env.as_deref();
        let snapshot = Snapshot {
            identifiers: self.identifiers.clone(),
            subscriptions: self
                .subscriptions
                .iter()
                .map(|(identifier, subscription)| KeptSubscription {
                    identifier: identifier.to_string(),
                    streams: subscription.streams.clone(),
                    whisper: subscription.whisper,
                    application: subscription.application,
                    presence: !matches!(subscription.presence, Presence::Forbidden),
                })
                .collect(),
            cstate: env.and_then(|env| env.cstate.clone()).unwrap_or_default(),
            istate: env.and_then(|env| env.istate.clone()).unwrap_or_default(),
            used_application: self.used_application,
        };
        let text = serde_json::to_string(&snapshot).ok()?;
        let key = cache_key(&self.sid, &self.identifiers);
        Some(BrokerCall::new(async move {
            // Best effort: a session not kept is one the client subscribes to again.
            let _ = broker.store_session(&key, text).await;
            BrokerReply::Kept
        }))
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;
    use serde_json::json;

    use super::super::testing::*;
    use super::*;
    use crate::identity::Verdict;
    use crate::protocol::Command;
    use crate::rpc::EnvResponse;

    fn user(id: u32) -> Verdict {
        Verdict::Identified {
            identifiers: json!({ "user": id }).to_string(),
            expires_at: None,
        }
    }

    /// Carries out a broker call the way the socket loop does (the memory broker answers at once).
    fn answered(client: &mut Client, effects: Effects) -> Effects {
        let call = effects.broker.expect("a broker call");
        let reply = call.send().now_or_never().expect("answered at once");
        client.session.apply_broker(reply)
    }

    /// A resumable session of `verdict` subscribed to the public `lobby`, kept and ended; its sid.
    fn kept(server: &mut Server, verdict: Verdict) -> String {
        let (mut client, _) = server.open_resumable(verdict, true, None);
        let _ = client.session.handle(Command::Subscribe {
            identifier: public("lobby"),
            history: None,
            presence: None,
        });
        let keep = client.session.keep().expect("resumable with a broker");
        let _ = keep.send().now_or_never().expect("kept at once");
        let _ = client.session.finish();
        client.session.sid.to_string()
    }

    #[test]
    fn a_restored_session_streams_again_and_is_welcomed_with_its_identifiers() {
        let mut server = Server::with_broker(options(), 100);
        let old = kept(&mut server, user(1));
        assert_eq!(server.broadcast("lobby", 1), 0, "the old session left");
        let (mut client, opening) = server.open_resumable(user(1), true, Some(&old));
        assert!(
            opening.frames.is_empty(),
            "the welcome waits for the broker"
        );
        let welcome = answered(&mut client, opening);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(texts(&welcome)[0]).unwrap(),
            json!({"type": "welcome", "sid": "sid-2", "restored": true, "restored_ids": [public("lobby")]})
        );
        assert_eq!(server.broadcast("lobby", 2), 1);
        assert_eq!(
            client.received(),
            Some(broadcast_frame(&public("lobby"), 2))
        );
    }

    #[test]
    fn a_snapshot_restores_once_and_only_for_the_same_identifiers() {
        let mut server = Server::with_broker(options(), 100);
        let old = kept(&mut server, user(1));
        let fresh = r#"{"type":"welcome","sid":"sid-2"}"#;
        let (mut other, opening) = server.open_resumable(user(2), true, Some(&old));
        assert_eq!(texts(&answered(&mut other, opening)), [fresh]);
        let (mut owner, opening) = server.open_resumable(user(1), true, Some(&old));
        assert!(texts(&answered(&mut owner, opening))[0].contains(r#""restored":true"#));
        let (mut again, opening) = server.open_resumable(user(1), true, Some(&old));
        assert_eq!(
            texts(&answered(&mut again, opening)),
            [r#"{"type":"welcome","sid":"sid-4"}"#]
        );
    }

    #[test]
    fn sessions_that_are_not_resumable_neither_keep_nor_restore() {
        let mut server = Server::with_broker(options(), 100);
        let old = kept(&mut server, user(1));
        let (client, opening) = server.open_resumable(user(1), false, Some(&old));
        assert_eq!(texts(&opening), [r#"{"type":"welcome","sid":"sid-2"}"#]);
        assert!(opening.broker.is_none() && client.session.keep().is_none());
        // Without a broker there is nothing to keep or restore from.
        let mut brokerless = Server::new(options(), false);
        let (client, opening) = brokerless.open_resumable(user(1), true, Some(&old));
        assert!(opening.broker.is_none() && client.session.keep().is_none());
    }

    #[test]
    fn the_snapshot_keeps_whisper_rights_and_application_state() {
        let mut server = Server::with_broker(options(), 100);
        let (mut client, _) = server.open_resumable(user(1), true, None);
        let _ = client.session.handle(Command::Subscribe {
            identifier: public("lobby"),
            history: None,
            presence: None,
        });
        client
            .session
            .env
            .get_or_insert_with(Box::default)
            .merge(Some(EnvResponse {
                cstate: Some([("k".to_owned(), "v".to_owned())].into()),
                istate: Some([("i".to_owned(), "j".to_owned())].into()),
            }));
        let _ = client.session.keep().unwrap().send().now_or_never();
        let _ = client.session.finish();
        let (mut restored, opening) = server.open_resumable(user(1), true, Some("sid-1"));
        let _ = answered(&mut restored, opening);
        assert!(
            restored
                .session
                .subscriptions
                .get(&public("lobby"))
                .unwrap()
                .whisper
        );
        let env = restored.session.env.as_deref().unwrap();
        assert_eq!(env.cstate.as_ref().unwrap()["k"], "v");
        assert_eq!(env.istate.as_ref().unwrap()["i"], "j");
    }

    fn offsets(frames: &[String]) -> Vec<Option<u64>> {
        frames
            .iter()
            .map(|frame| {
                serde_json::from_str::<serde_json::Value>(frame).unwrap()["offset"].as_u64()
            })
            .collect()
    }

    #[test]
    fn live_frames_wait_for_the_history_request_after_a_restore_then_come_in_order_once() {
        let mut server = Server::with_broker(options(), 100);
        let old = kept(&mut server, user(1));
        let epoch = {
            server.publish("lobby", 1);
            let broker = server.broker.clone().unwrap();
            let history = broker
                .history_since("lobby", 0)
                .now_or_never()
                .unwrap()
                .unwrap();
            history.epoch.to_string()
        };
        let (mut client, opening) = server.open_resumable(user(1), true, Some(&old));
        let _ = answered(&mut client, opening);
        server.publish("lobby", 2);
        server.publish("lobby", 3);
        assert!(client.delivered().is_empty(), "held until the client asks");
        let ask = client.session.handle(Command::History {
            identifier: public("lobby"),
            request: Ok(crate::protocol::HistoryRequest {
                since: None,
                streams: vec![(
                    "lobby".into(),
                    crate::protocol::StreamPosition { epoch, offset: 1 },
                )],
            }),
        });
        let replay = answered(&mut client, ask);
        let frames: Vec<String> = texts(&replay).into_iter().map(str::to_owned).collect();
        assert_eq!(offsets(&frames), [Some(2), Some(3), None]);
        server.publish("lobby", 4);
        assert_eq!(offsets(&client.delivered()), [Some(4)]);
        assert!(client.session.release_restored().is_empty());
    }

    #[test]
    fn a_client_that_never_asks_gets_the_held_frames_at_the_next_ping() {
        let mut server = Server::with_broker(options(), 100);
        let old = kept(&mut server, user(1));
        let (mut client, opening) = server.open_resumable(user(1), true, Some(&old));
        let _ = answered(&mut client, opening);
        server.publish("lobby", 1);
        assert!(client.delivered().is_empty());
        let released: Vec<String> = client
            .session
            .release_restored()
            .iter()
            .map(|frame| frame.as_str().to_owned())
            .collect();
        assert_eq!(offsets(&released), [Some(1)]);
        server.publish("lobby", 2);
        assert_eq!(offsets(&client.delivered()), [Some(2)], "live from then on");
    }

    #[test]
    fn a_malformed_snapshot_gives_a_fresh_welcome() {
        let mut server = Server::with_broker(options(), 100);
        let (mut client, _) = server.open_resumable(user(1), true, Some("old"));
        let fresh = vec![protocol::welcome("sid-1")];
        for snapshot in ["not json", r#"{"identifiers":"{\"user\":1}"}"#] {
            let effects = client.session.restored(RestoreReply {
                snapshot: Some(snapshot.into()),
                fresh: fresh.clone(),
            });
            assert_eq!(texts(&effects), [r#"{"type":"welcome","sid":"sid-1"}"#]);
        }
    }
}
