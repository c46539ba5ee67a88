//! History on a subscription (`history` on `subscribe`, and the `history` command), with this
//! project's rules: `confirm_subscription` → replayed frames → `confirm_history`, or only
//! `reject_history`; and, per (subscription, stream), in order and never twice, even when live
//! broadcasts race the replay.
//!
//! How: while a subscription's history request is in flight, its live kept frames are held back;
//! the replay then skips what the subscription already got, and remembers per stream the last
//! offset delivered (or known to the client), so that held and later live frames at or below it
//! are dropped. Only sessions that asked for history keep this state (boxed, `None` otherwise).

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::value::RawValue;

use super::broker_call::{BrokerCall, BrokerReply};
use super::core::{Effects, Session};
use crate::broker::{BrokerError, History};
use crate::outbox::Queued;
use crate::protocol::{self, Frame, HistoryRequest, MalformedHistory, StreamOffset};

/// A history request as the command carried it: `Err` when malformed.
pub(super) type HistoryAsk = Result<HistoryRequest, MalformedHistory>;

/// What the session does with a kept live frame from its outbox.
pub(super) enum Admit {
    /// Write it now.
    Write(Frame),
    /// Held back (a replay is in flight) or already delivered: nothing to write.
    Skip,
    /// Too many frames held back: the client cannot keep up.
    TooSlow,
}

/// The replay bookkeeping of a session that asked for history.
#[derive(Default)]
pub(super) struct Replay {
    /// Per subscription, per stream: the last offset delivered or known to the client.
    delivered: HashMap<Arc<str>, Vec<(Box<str>, u64)>>,
    /// The subscription whose request is in flight, and its live frames held back meanwhile.
    in_flight: Option<(Arc<str>, Vec<Queued>)>,
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
        self.replay.get_or_insert_with(Box::default).in_flight =
            Some((Arc::clone(&identifier), Vec::new()));
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
                    let mark = mark_of(marks, &stream);
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
                frames.push(frame);
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
        if let Some((identifier, held)) = &mut replay.in_flight {
            if *identifier == position.identifier {
                if held.len() >= self.settings.outgoing_queue {
                    return Admit::TooSlow;
                }
                held.push(queued);
                return Admit::Skip;
            }
        }
        let Some(marks) = replay.delivered.get_mut(&position.identifier) else {
            return Admit::Write(queued.frame);
        };
        let Some((_, mark)) = marks
            .iter_mut()
            .find(|(stream, _)| **stream == *position.stream)
        else {
            return Admit::Write(queued.frame);
        };
        if position.offset <= *mark {
            return Admit::Skip;
        }
        *mark = position.offset;
        Admit::Write(queued.frame)
    }

    /// Forgets a subscription's replay bookkeeping (it was unsubscribed).
    pub(super) fn forget_replay(&mut self, identifier: &str) {
        let Some(replay) = self.replay.as_deref_mut() else {
            return;
        };
        replay.delivered.remove(identifier);
        if replay.delivered.is_empty() && replay.in_flight.is_none() {
            self.replay = None;
        }
    }
}

/// The mark of `stream` among `marks`, added at 0 if missing.
fn mark_of<'a>(marks: &'a mut Vec<(Box<str>, u64)>, stream: &str) -> &'a mut u64 {
    let index = match marks.iter().position(|(name, _)| **name == *stream) {
        Some(index) => index,
        None => {
            marks.push((Box::from(stream), 0));
            marks.len() - 1
        }
    };
    &mut marks[index].1
}
