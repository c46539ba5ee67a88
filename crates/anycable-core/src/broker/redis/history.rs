//! Registration and history in Redis: `register.lua`, `history_from.lua`, `history_since.lua`.
//! Each call hands its script a fresh candidate epoch, which becomes the cluster's epoch only
//! when Redis has none for its current process.

use std::sync::Arc;

use redis::Value;

use super::scripts::Script;
use super::{keys, RedisBroker, FANOUT_CHANNEL};
use crate::broker::epoch::new_epoch;
use crate::broker::{
    BrokerError, EntryAck, History, KeptMessage, Registered, Registration, StreamPosition,
};

/// Offsets above this are beyond any stream: Lua numbers are exact only up to 2^53.
const MAX_OFFSET: u64 = 1 << 53;
/// `since` is clamped here (about 139,000 years), so that `since × 1000` stays exact in Lua.
const MAX_SINCE: u64 = 1 << 42;

/// Registers `batch` (and acknowledges `ack`) in one script call, which also publishes the
/// records to every node. The caller keeps batches within Redis's comfortable sizes.
pub(super) async fn register_batch(
    broker: &RedisBroker,
    batch: &[Registration<'_>],
    ack: Option<&EntryAck>,
) -> Result<Registered, BrokerError> {
    let mut keys = Vec::with_capacity(2 + 2 * batch.len() + 1);
    keys.extend([keys::epoch(), keys::high_water()]);
    for publication in batch {
        keys.extend([
            keys::offsets(publication.stream),
            keys::history(publication.stream),
        ]);
    }
    if let Some(ack) = ack {
        keys.push(ack.stream.as_bytes().to_vec());
    }
    let limits = broker.limits;
    let candidate = new_epoch();
    let reply = broker
        .link
        .eval(Script::Register, keys, |run_id| {
            let mut args: Vec<Vec<u8>> = Vec::with_capacity(8 + 4 * batch.len());
            args.extend([
                candidate.as_bytes().to_vec(),
                run_id.as_bytes().to_vec(),
                limits.history_limit.to_string().into_bytes(),
                limits.history_ttl.to_string().into_bytes(),
                limits.idle_stream.to_string().into_bytes(),
                FANOUT_CHANNEL.as_bytes().to_vec(),
                ack.map_or(Vec::new(), |ack| ack.group.as_bytes().to_vec()),
                ack.map_or(Vec::new(), |ack| ack.id.as_bytes().to_vec()),
            ]);
            for publication in batch {
                args.extend([
                    publication.stream.as_bytes().to_vec(),
                    publication.data.as_bytes().to_vec(),
                    publication.exclude_socket.unwrap_or("").as_bytes().to_vec(),
                    if publication.transient { b"t" } else { b"m" }.to_vec(),
                ]);
            }
            args
        })
        .await?;
    registered(reply, batch.len()).ok_or_else(|| broker.unexpected("register"))
}

/// `{ epoch, offset or 0 … }` or nil (the entry was taken already).
fn registered(reply: Value, count: usize) -> Option<Registered> {
    let items = match reply {
        Value::Nil => return Some(Registered::AlreadyAcked),
        Value::Array(items) if items.len() == count + 1 => items,
        _ => return None,
    };
    let mut items = items.into_iter();
    let epoch: Arc<str> = Arc::from(text(items.next()?)?);
    let positions = items
        .map(|offset| match offset {
            Value::Int(0) => Some(None),
            Value::Int(offset) => Some(Some(StreamPosition {
                epoch: Arc::clone(&epoch),
                offset: u64::try_from(offset).ok()?,
            })),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Registered::Positions(positions))
}

/// The messages of `stream` after `offset` of `epoch`.
pub(super) async fn history_from(
    broker: &RedisBroker,
    stream: &str,
    epoch: &str,
    offset: u64,
) -> Result<History, BrokerError> {
    if offset > MAX_OFFSET {
        return Err(BrokerError::OffsetAhead);
    }
    let keys = vec![keys::epoch(), keys::offsets(stream), keys::history(stream)];
    let ttl = broker.limits.history_ttl;
    let candidate = new_epoch();
    let reply = broker
        .link
        .eval(Script::HistoryFrom, keys, |run_id| {
            vec![
                candidate.as_bytes().to_vec(),
                run_id.as_bytes().to_vec(),
                epoch.as_bytes().to_vec(),
                offset.to_string().into_bytes(),
                ttl.to_string().into_bytes(),
            ]
        })
        .await?;
    let Value::Array(items) = reply else {
        return Err(broker.unexpected("history_from"));
    };
    let mut items = items.into_iter();
    match items.next().and_then(text).as_deref() {
        Some("epoch") => Err(BrokerError::UnknownEpoch),
        Some("missing") => Err(BrokerError::HistoryMissing),
        Some("ahead") => Err(BrokerError::OffsetAhead),
        Some("ok") => {
            let history =
                items
                    .next()
                    .and_then(text)
                    .zip(items.next())
                    .and_then(|(epoch, entries)| {
                        let mut messages = messages(entries)?;
                        messages.reverse();
                        Some(History {
                            epoch: Arc::from(epoch),
                            messages,
                        })
                    });
            history.ok_or_else(|| broker.unexpected("history_from"))
        }
        _ => Err(broker.unexpected("history_from")),
    }
}

/// The kept messages of `stream` since `since` (Unix seconds).
pub(super) async fn history_since(
    broker: &RedisBroker,
    stream: &str,
    since: u64,
) -> Result<History, BrokerError> {
    let keys = vec![keys::epoch(), keys::history(stream)];
    let ttl = broker.limits.history_ttl;
    let candidate = new_epoch();
    let reply = broker
        .link
        .eval(Script::HistorySince, keys, |run_id| {
            vec![
                candidate.as_bytes().to_vec(),
                run_id.as_bytes().to_vec(),
                since.min(MAX_SINCE).to_string().into_bytes(),
                ttl.to_string().into_bytes(),
            ]
        })
        .await?;
    let history = match reply {
        Value::Array(items) if items.len() == 2 => {
            let mut items = items.into_iter();
            items
                .next()
                .and_then(text)
                .zip(items.next().and_then(messages))
                .map(|(epoch, messages)| History {
                    epoch: Arc::from(epoch),
                    messages,
                })
        }
        _ => None,
    };
    history.ok_or_else(|| broker.unexpected("history_since"))
}

/// Stream entries (`[[id, ["d", data]], …]`, ids `<ms>-<offset>`) as kept messages, in the
/// order given.
fn messages(entries: Value) -> Option<Vec<KeptMessage>> {
    let Value::Array(entries) = entries else {
        return None;
    };
    entries
        .into_iter()
        .map(|entry| {
            let Value::Array(entry) = entry else {
                return None;
            };
            let mut entry = entry.into_iter();
            let id = text(entry.next()?)?;
            let offset = id.split_once('-')?.1.parse().ok()?;
            let Value::Array(fields) = entry.next()? else {
                return None;
            };
            let mut fields = fields.into_iter();
            let (name, data) = (text(fields.next()?)?, text(fields.next()?)?);
            (name == "d").then(|| KeptMessage {
                offset,
                data: Arc::from(data),
            })
        })
        .collect()
}

/// A string reply as text.
fn text(value: Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => String::from_utf8(bytes).ok(),
        Value::SimpleString(text) => Some(text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(text: &str) -> Value {
        Value::BulkString(text.as_bytes().to_vec())
    }

    #[test]
    fn a_registration_reply_gives_one_position_per_publication() {
        let reply = Value::Array(vec![bulk("Ab12"), Value::Int(7), Value::Int(0)]);
        let Some(Registered::Positions(positions)) = registered(reply, 2) else {
            panic!("positions");
        };
        assert_eq!(positions[0].as_ref().map(|p| p.offset), Some(7));
        assert_eq!(positions[0].as_ref().map(|p| &*p.epoch), Some("Ab12"));
        assert_eq!(positions[1], None);
        assert_eq!(registered(Value::Nil, 2), Some(Registered::AlreadyAcked));
        let short = Value::Array(vec![bulk("Ab12"), Value::Int(7)]);
        assert_eq!(registered(short, 2), None);
    }

    #[test]
    fn stream_entries_become_kept_messages() {
        let entry = |id: &str, data: &str| {
            Value::Array(vec![bulk(id), Value::Array(vec![bulk("d"), bulk(data)])])
        };
        let entries = Value::Array(vec![entry("1700-4", "\"a\""), entry("1701-5", "{}")]);
        let messages = messages(entries).unwrap();
        assert_eq!(
            messages
                .iter()
                .map(|m| (m.offset, &*m.data))
                .collect::<Vec<_>>(),
            [(4, "\"a\""), (5, "{}")]
        );
        assert!(super::messages(Value::Array(vec![entry("17004", "x")])).is_none());
    }
}
