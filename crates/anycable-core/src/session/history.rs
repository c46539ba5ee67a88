//! History on a subscription (`history` on `subscribe`, and the `history` command), with this
//! project's rules: `confirm_subscription` → replayed frames → `confirm_history`, or only
//! `reject_history`; and, per (subscription, stream), in order and never twice, even when live
//! broadcasts race the replay.
//!
//! How: while a subscription's history request is in flight, its live kept frames are held back;
//! the replay then skips what the subscription already got, and remembers per stream the last
//! offset delivered (or known to the client), so that held and later live frames at or below it
//! are dropped. A mark belongs to an epoch: a frame of another epoch (Redis restarted with its data
//! lost, and offsets began again) is written and starts a new mark. Only sessions that asked for history keep this state (boxed, `None` otherwise), so
//! the guarantee holds from a subscription's first history request on — the extended JS client
//! sends one with every subscribe.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::value::RawValue;

use super::broker_call::{BrokerCall, BrokerReply};
use super::core::{Effects, Session};
use crate::broker::{BrokerError, History};
use crate::outbox::{Queued, WireFrame};
use crate::protocol::{self, Frame, HistoryRequest, MalformedHistory, StreamOffset};

/// A history request as the command carried it: `Err` when malformed.
pub(super) type HistoryAsk = Result<HistoryRequest, MalformedHistory>;

/// What the session does with a kept live frame from its outbox.
pub(super) enum Admit {
    /// Write it now.
    Write(WireFrame),
    /// Held back (a replay is in flight) or already delivered: nothing to write.
    Skip,
    /// Too many frames held back: the client cannot keep up.
    TooSlow,
}

/// The replay bookkeeping of a session that asked for history.
#[derive(Default)]
pub(super) struct Replay {
    /// Per subscription, per stream: the last offset delivered or known to the client.
    delivered: HashMap<Arc<str>, Vec<Mark>>,
    /// The subscription whose request is in flight, and its live frames held back meanwhile.
    in_flight: Option<(Arc<str>, Vec<Queued>)>,
    /// Restored subscriptions whose history request has not come yet, and their live frames held
    /// back meanwhile: the client asks for what it missed right after the restored welcome, and
    /// a live frame written before that replay would come out of order (then twice).
    awaiting: Vec<(Arc<str>, Vec<Queued>)>,
}

/// The last offset of one stream delivered or known to the client, and its epoch.
struct Mark {
    stream: Box<str>,
    epoch: Arc<str>,
    offset: u64,
}

/// What to ask the broker for one stream of the subscription.
enum Ask {
    /// The messages after the client's position.
    After { epoch: String, offset: u64 },
    /// The messages kept since this Unix time (seconds).
    Since(u64),
}

/// One stream's replay: the messages, and the offset the client said it had seen (if it asked
/// by position).
struct Replayed {
    stream: String,
    history: History,
    known: Option<u64>,
}

/// The broker's answer to one subscription's history request.
pub(super) struct HistoryReply {
    identifier: Arc<str>,
    answer: Result<Vec<Replayed>, BrokerError>,
}

impl Session {
    /// A history request on `identifier`: nothing for an unknown subscription, `reject_history`
    /// for a malformed request or without a broker, else a broker call.
    pub(super) fn ask_history(&mut self, identifier: &str, ask: HistoryAsk) -> Effects {
        let Some((identifier, subscription)) = self.subscriptions.get_key_value(identifier) else {
            return Effects::default();
        };
        let identifier = Arc::clone(identifier);
        let (Ok(request), Some(broker)) = (ask, self.broker.clone()) else {
            return Effects::send(protocol::reject_history(&identifier));
        };
        let plan: Vec<(String, Ask)> = subscription
            .streams
            .iter()
            .filter_map(|stream| {
                let ask = match request.streams.iter().find(|(name, _)| name == stream) {
                    Some((_, position)) => Ask::After {
                        epoch: position.epoch.clone(),
                        offset: position.offset,
                    },
                    None => Ask::Since(request.since?),
                };
                Some((stream.clone(), ask))
            })
            .collect();
        let replay = self.replay.get_or_insert_with(Box::default);
        // What a restored subscription held until now waits for this replay instead.
        let held = match replay.awaiting.iter().position(|(id, _)| *id == identifier) {
            Some(index) => replay.awaiting.swap_remove(index).1,
            None => Vec::new(),
        };
        replay.in_flight = Some((Arc::clone(&identifier), held));
        let call = BrokerCall::new(async move {
            let mut replayed = Vec::with_capacity(plan.len());
            let mut failure = None;
            for (stream, ask) in plan {
                let (answer, known) = match &ask {
                    Ask::After { epoch, offset } => (
                        broker.history_from(&stream, epoch, *offset).await,
                        Some(*offset),
                    ),
                    Ask::Since(since) => (broker.history_since(&stream, *since).await, None),
                };
                match answer {
                    Ok(history) => replayed.push(Replayed {
                        stream,
                        history,
                        known,
                    }),
                    Err(error) => {
                        failure = Some(error);
                        break;
                    }
                }
            }
            BrokerReply::History(HistoryReply {
                identifier,
                answer: failure.map_or(Ok(replayed), Err),
            })
        });
        Effects {
            broker: Some(call),
            ..Effects::default()
        }
    }

    /// The replay (or the refusal), then the live frames held back meanwhile that are newer.
    pub(super) fn replayed(&mut self, reply: HistoryReply) -> Effects {
        let HistoryReply { identifier, answer } = reply;
        let replay = self.replay.get_or_insert_with(Box::default);
        let held = replay
            .in_flight
            .take()
            .map(|(_, held)| held)
            .unwrap_or_default();
        let mut frames = Vec::new();
        match answer {
            Ok(streams) => {
                let marks = replay.delivered.entry(Arc::clone(&identifier)).or_default();
                for Replayed {
                    stream,
                    history,
                    known,
                } in streams
                {
                    let mark = mark_of(marks, &stream, &history.epoch);
                    for message in &history.messages {
                        if message.offset <= *mark {
                            continue;
                        }
                        let Ok(data) = serde_json::from_str::<&RawValue>(&message.data) else {
                            continue;
                        };
                        let at = StreamOffset {
                            stream: &stream,
                            epoch: &history.epoch,
                            offset: message.offset,
                        };
                        frames.push(protocol::stored_broadcast_frame(&identifier, data, at));
                        *mark = message.offset;
                    }
                    *mark = (*mark).max(known.unwrap_or(0));
                }
                frames.push(protocol::confirm_history(&identifier));
            }
            Err(_) => frames.push(protocol::reject_history(&identifier)),
        }
        for queued in held {
            if let Admit::Write(frame) = self.admit(queued) {
                frames.push(frame.text().clone());
            }
        }
        Effects {
            frames,
            ..Effects::default()
        }
    }

    /// Whether and what to write for a frame from the outbox. Transient frames, and every frame of
    /// a session that never asked for history, go straight out.
    pub(super) fn admit(&mut self, queued: Queued) -> Admit {
        let (Some(position), Some(replay)) = (&queued.position, self.replay.as_deref_mut()) else {
            return Admit::Write(queued.frame);
        };
        let holding = replay
            .in_flight
            .iter_mut()
            .chain(replay.awaiting.iter_mut())
            .find(|(identifier, _)| *identifier == position.identifier);
        if let Some((_, held)) = holding {
            if held.len() >= self.settings.outgoing_queue {
                return Admit::TooSlow;
            }
            held.push(queued);
            return Admit::Skip;
        }
        let Some(marks) = replay.delivered.get_mut(&position.identifier) else {
            return Admit::Write(queued.frame);
        };
        let Some(mark) = marks
            .iter_mut()
            .find(|mark| *mark.stream == *position.stream)
        else {
            return Admit::Write(queued.frame);
        };
        if mark.epoch == position.epoch {
            if position.offset <= mark.offset {
                return Admit::Skip;
            }
        } else {
            mark.epoch = Arc::clone(&position.epoch);
        }
        mark.offset = position.offset;
        Admit::Write(queued.frame)
    }

    /// Holds back the live kept frames of restored subscriptions until each one's history request
    /// is answered (or [`Session::release_restored`]).
    pub(super) fn hold_until_history(&mut self, restored: Vec<Arc<str>>) {
        if restored.is_empty() {
            return;
        }
        let replay = self.replay.get_or_insert_with(Box::default);
        replay.awaiting = restored.into_iter().map(|id| (id, Vec::new())).collect();
    }

    /// The frames held for restored subscriptions that have not asked for history (yet): called
    /// at the first ping after a restore, so a client that never asks gets them live from then.
    pub(super) fn release_restored(&mut self) -> Vec<Frame> {
        let Some(replay) = self.replay.as_deref_mut() else {
            return Vec::new();
        };
        let held: Vec<Queued> = replay
            .awaiting
            .drain(..)
            .flat_map(|(_, held)| held)
            .collect();
        held.into_iter()
            .filter_map(|queued| match self.admit(queued) {
                Admit::Write(frame) => Some(frame.text().clone()),
                Admit::Skip | Admit::TooSlow => None,
            })
            .collect()
    }

    /// Forgets a subscription's replay bookkeeping (it was unsubscribed).
    pub(super) fn forget_replay(&mut self, identifier: &str) {
        let Some(replay) = self.replay.as_deref_mut() else {
            return;
        };
        replay.delivered.remove(identifier);
        replay.awaiting.retain(|(id, _)| **id != *identifier);
        if replay.delivered.is_empty() && replay.in_flight.is_none() && replay.awaiting.is_empty() {
            self.replay = None;
        }
    }
}

/// The offset marked for `stream` in `epoch` among `marks`: 0 if the stream has no mark yet, or
/// one of another epoch (whose offsets mean nothing in this one).
fn mark_of<'a>(marks: &'a mut Vec<Mark>, stream: &str, epoch: &Arc<str>) -> &'a mut u64 {
    let index = match marks.iter().position(|mark| *mark.stream == *stream) {
        Some(index) => index,
        None => {
            marks.push(Mark {
                stream: Box::from(stream),
                epoch: Arc::clone(epoch),
                offset: 0,
            });
            marks.len() - 1
        }
    };
    let mark = &mut marks[index];
    if mark.epoch != *epoch {
        mark.epoch = Arc::clone(epoch);
        mark.offset = 0;
    }
    &mut mark.offset
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;
    use serde_json::{json, Value};

    use super::super::testing::*;
    use super::*;
    use crate::protocol::{Command, StreamPosition};
    use crate::session::SessionSettings;

    fn since(seconds: u64) -> HistoryAsk {
        Ok(HistoryRequest {
            since: Some(seconds),
            streams: vec![],
        })
    }

    fn after(stream: &str, epoch: &str, offset: u64) -> HistoryAsk {
        Ok(HistoryRequest {
            since: None,
            streams: vec![(
                stream.to_owned(),
                StreamPosition {
                    epoch: epoch.to_owned(),
                    offset,
                },
            )],
        })
    }

    fn subscribe(identifier: &str, history: Option<HistoryAsk>) -> Command {
        Command::Subscribe {
            identifier: identifier.into(),
            history,
            presence: None,
        }
    }

    /// Carries out the broker call of `effects` (the memory broker answers at once) and applies
    /// its reply.
    fn answer_broker(client: &mut Client, effects: Effects) -> Effects {
        let call = effects.broker.expect("a broker call");
        let reply = call.send().now_or_never().expect("answered at once");
        client.session.apply_broker(reply)
    }

    /// Each frame as (its type or "data", its offset if any).
    fn shapes(frames: &[String]) -> Vec<(String, Option<u64>)> {
        frames
            .iter()
            .map(|frame| {
                let value: Value = serde_json::from_str(frame).unwrap();
                let kind = value["type"].as_str().unwrap_or("data").to_owned();
                (kind, value["offset"].as_u64())
            })
            .collect()
    }

    fn texts_of(effects: &Effects) -> Vec<String> {
        texts(effects).into_iter().map(str::to_owned).collect()
    }

    fn data(offset: u64) -> (String, Option<u64>) {
        ("data".to_owned(), Some(offset))
    }

    fn kind(name: &str) -> (String, Option<u64>) {
        (name.to_owned(), None)
    }

    /// The epoch of the server's broker, read from a frame of `stream`.
    fn epoch_of(frame: &str) -> String {
        let value: Value = serde_json::from_str(frame).unwrap();
        value["epoch"].as_str().unwrap().to_owned()
    }

    #[test]
    fn subscribe_with_since_confirms_replays_then_confirms_history() {
        let mut server = Server::with_broker(options(), 100);
        server.publish("chat", 1);
        server.publish("chat", 2);
        let mut client = server.client();
        let lobby = public("chat");
        let effects = client.session.handle(subscribe(&lobby, Some(since(1))));
        assert_eq!(texts_of(&effects), [confirmed(&lobby)]);
        let replay = answer_broker(&mut client, effects);
        let frames = texts_of(&replay);
        assert_eq!(shapes(&frames), [data(1), data(2), kind("confirm_history")]);
        let first: Value = serde_json::from_str(&frames[0]).unwrap();
        assert_eq!(first["identifier"], lobby.as_str());
        assert_eq!(first["message"], json!({"n": 1}));
        assert_eq!(first["stream_id"], "chat");
    }

    #[test]
    fn without_a_broker_or_with_a_malformed_request_history_is_rejected() {
        let lobby = public("chat");
        let mut server = Server::new(options(), false);
        let mut client = server.client();
        let effects = client.session.handle(subscribe(&lobby, Some(since(1))));
        assert_eq!(
            shapes(&texts_of(&effects)),
            [kind("confirm_subscription"), kind("reject_history")]
        );
        assert!(effects.broker.is_none());

        let mut server = Server::with_broker(options(), 100);
        let mut client = server.client();
        let effects = client
            .session
            .handle(subscribe(&lobby, Some(Err(MalformedHistory))));
        assert_eq!(
            shapes(&texts_of(&effects)),
            [kind("confirm_subscription"), kind("reject_history")]
        );
    }

    #[test]
    fn history_for_an_unknown_subscription_sends_nothing() {
        let mut server = Server::with_broker(options(), 100);
        let mut client = server.client();
        let effects = client.session.handle(Command::History {
            identifier: public("chat"),
            request: since(1),
        });
        assert!(effects.frames.is_empty() && effects.broker.is_none());
    }

    #[test]
    fn by_offset_replays_what_followed_and_fails_when_some_is_gone() {
        let mut server = Server::with_broker(options(), 3);
        let mut client = server.client();
        let lobby = public("chat");
        // As the JS client does: history on the first subscribe (nothing to replay yet).
        let effects = client.session.handle(subscribe(&lobby, Some(since(1))));
        let _ = answer_broker(&mut client, effects);
        for n in 1..=5 {
            server.publish("chat", n);
        }
        let live = client.delivered();
        assert_eq!(live.len(), 5);
        let epoch = epoch_of(&live[0]);
        let ask = |offset| Command::History {
            identifier: lobby.clone(),
            request: after("chat", &epoch, offset),
        };
        // Offset 2 with a limit of 3: 3, 4 and 5 are all kept, so nothing is missing.
        let effects = client.session.handle(ask(2));
        let replay = answer_broker(&mut client, effects);
        assert_eq!(
            shapes(&texts_of(&replay)),
            [kind("confirm_history")],
            "already delivered to this subscription: not again"
        );
        let mut other = server.client();
        let _ = other.session.handle(subscribe(&lobby, None));
        let effects = other.session.handle(ask(2));
        let replay = answer_broker(&mut other, effects);
        assert_eq!(
            shapes(&texts_of(&replay)),
            [data(3), data(4), data(5), kind("confirm_history")]
        );
        let effects = other.session.handle(ask(1));
        let replay = answer_broker(&mut other, effects);
        assert_eq!(shapes(&texts_of(&replay)), [kind("reject_history")]);
    }

    #[test]
    fn live_frames_wait_for_the_replay_and_never_come_twice_or_out_of_order() {
        let mut server = Server::with_broker(options(), 100);
        let mut client = server.client();
        let lobby = public("chat");
        let effects = client.session.handle(subscribe(&lobby, Some(since(1))));
        let _ = answer_broker(&mut client, effects);
        server.publish("chat", 1);
        let live = client.delivered();
        assert_eq!(shapes(&live), [data(1)]);
        let epoch = epoch_of(&live[0]);
        let effects = client.session.handle(Command::History {
            identifier: lobby.clone(),
            request: after("chat", &epoch, 0),
        });
        // Published while the request is in flight: held back, then sent once after the replay.
        server.publish("chat", 2);
        assert!(client.delivered().is_empty(), "held back");
        let replay = answer_broker(&mut client, effects);
        assert_eq!(
            shapes(&texts_of(&replay)),
            [data(2), kind("confirm_history")],
            "1 was delivered live, 2 replayed once"
        );
        // Registered before the replay read it, fanned out after: a duplicate, dropped.
        let broker = server.broker.clone().unwrap();
        let position = broker
            .register("chat", Arc::from("3"))
            .now_or_never()
            .unwrap()
            .unwrap();
        let effects = client.session.handle(Command::History {
            identifier: lobby.clone(),
            request: after("chat", &epoch, 2),
        });
        let replay = answer_broker(&mut client, effects);
        assert_eq!(
            shapes(&texts_of(&replay)),
            [data(3), kind("confirm_history")]
        );
        let message = RawValue::from_string("3".into()).unwrap();
        server
            .hub
            .broadcast("chat", &message, None, Some(&position));
        assert!(client.delivered().is_empty(), "offset 3 again");
        server.publish("chat", 4);
        assert_eq!(shapes(&client.delivered()), [data(4)]);
    }

    #[test]
    fn a_frame_of_a_new_epoch_is_written_whatever_the_old_epochs_mark() {
        let mut server = Server::with_broker(options(), 100);
        let mut client = server.client();
        let lobby = public("chat");
        for n in 1..=3 {
            server.publish("chat", n);
        }
        let effects = client.session.handle(subscribe(&lobby, Some(since(1))));
        let _ = answer_broker(&mut client, effects);
        // Redis restarted with its data lost: a new epoch, offsets from 1 again, under the mark 3.
        let restarted = crate::broker::StreamPosition {
            epoch: Arc::from("NEW1"),
            offset: 1,
        };
        let message = RawValue::from_string("1".into()).unwrap();
        server
            .hub
            .broadcast("chat", &message, None, Some(&restarted));
        assert_eq!(shapes(&client.delivered()), [data(1)]);
        // The new epoch's mark now applies: the same offset again is a duplicate.
        server
            .hub
            .broadcast("chat", &message, None, Some(&restarted));
        assert!(client.delivered().is_empty());
    }

    #[test]
    fn too_many_held_frames_mean_too_slow() {
        let mut server = Server::with_broker(
            SessionSettings {
                outgoing_queue: 2,
                ..options()
            },
            100,
        );
        let mut client = server.client();
        let lobby = public("chat");
        let effects = client.session.handle(subscribe(&lobby, Some(since(1))));
        assert!(effects.broker.is_some());
        for n in 1..=3 {
            server.publish("chat", n);
        }
        let mut admitted = Vec::new();
        while let Some(queued) = client.outbox.try_recv() {
            admitted.push(client.session.admit(queued));
        }
        assert!(matches!(
            admitted.as_slice(),
            [Admit::Skip, Admit::Skip, Admit::TooSlow]
        ));
    }

    #[test]
    fn an_application_subscribe_answers_history_only_once_confirmed() {
        let mut server = Server::with_broker(options(), 100);
        let mut client = server.client();
        let call = client
            .session
            .handle(subscribe(&chat(1), Some(since(1))))
            .call;
        assert!(call.is_none(), "no application in this server");
        let mut server = Server::new(options(), true);
        server.broker = Server::with_broker(options(), 100).broker;
        for (status, expected) in [
            (0, vec![kind("reject_subscription")]),
            (1, vec![kind("confirm_subscription")]),
        ] {
            let mut client = server.client();
            let call = client
                .session
                .handle(subscribe(&chat(1), Some(since(1))))
                .call
                .expect("the application decides");
            let effects = client.session.apply(answer(
                call,
                json!({"status": status, "transmissions": if status == 1 { vec![confirmed(&chat(1))] } else { vec![] }}),
            ));
            assert_eq!(shapes(&texts_of(&effects)), expected);
            assert_eq!(effects.broker.is_some(), status == 1, "status {status}");
        }
    }

    #[test]
    fn unsubscribing_forgets_the_replay_bookkeeping() {
        let mut server = Server::with_broker(options(), 100);
        let mut client = server.client();
        let lobby = public("chat");
        let effects = client.session.handle(subscribe(&lobby, Some(since(1))));
        let _ = answer_broker(&mut client, effects);
        assert!(client.session.replay.is_some());
        let _ = client
            .session
            .handle(Command::Unsubscribe { identifier: lobby });
        assert!(client.session.replay.is_none());
    }
}
