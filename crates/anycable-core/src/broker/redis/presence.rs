//! Presence in Redis: `join.lua`, `leave.lua`, `touch.lua`, `sweep.lua` and `HGETALL`. The scripts
//! publish every change on the fan-out channel themselves, so each node's subscribers hear of it
//! once, whichever node made it; what `join` and `leave` return is that published change. Leases
//! run on Redis's clock, never a node's.

use std::sync::Arc;

use redis::Value;

use super::keys::{self, PREFIX};
use super::scripts::Script;
use super::{RedisBroker, FANOUT_CHANNEL};
use crate::broker::presence::check_presence;
use crate::broker::{BrokerError, PresenceChange, PresenceInfo, PresenceLapse, PresenceRecord};

/// The most lapsed sessions one sweep script removes, so that it never holds Redis for long.
const SWEEP_BATCH: i64 = 1000;
/// The most sweep scripts per sweep: 10,000 sessions a second lapse at most; the rest wait.
const SWEEP_CALLS: usize = 10;

/// The four keys of a session's presence on a stream, as `join.lua` and `leave.lua` take them.
fn presence_keys(stream: &str, sid: &str) -> Vec<Vec<u8>> {
    vec![
        keys::presence_deadlines(),
        keys::presence_held(sid),
        keys::presence_records(stream),
        keys::presence_counts(stream),
    ]
}

/// Session `sid` joins `stream` as `id`: the `join` it published when the id is new there.
pub(super) async fn join(
    broker: &RedisBroker,
    stream: &str,
    sid: &str,
    id: &str,
    info: Option<&str>,
) -> Result<Option<PresenceChange>, BrokerError> {
    check_presence(id, info)?;
    let ttl = broker.limits.presence_ttl;
    let reply = broker
        .link
        .eval(Script::Join, presence_keys(stream, sid), |_| {
            vec![
                stream.as_bytes().to_vec(),
                sid.as_bytes().to_vec(),
                id.as_bytes().to_vec(),
                info.unwrap_or("").as_bytes().to_vec(),
                ttl.to_string().into_bytes(),
                FANOUT_CHANNEL.as_bytes().to_vec(),
            ]
        })
        .await?;
    match reply {
        Value::Int(-1) => Err(BrokerError::PresenceIdMismatch),
        Value::Int(0) => Ok(None),
        Value::Int(1) => Ok(Some(PresenceChange::Join {
            id: Arc::from(id),
            info: info.map(Arc::from),
        })),
        _ => Err(broker.unexpected("presence join")),
    }
}

/// Session `sid` leaves `stream`: the `leave` it published when it was the last session holding
/// its id there.
pub(super) async fn leave(
    broker: &RedisBroker,
    stream: &str,
    sid: &str,
) -> Result<Option<PresenceChange>, BrokerError> {
    let reply = broker
        .link
        .eval(Script::Leave, presence_keys(stream, sid), |_| {
            vec![
                stream.as_bytes().to_vec(),
                sid.as_bytes().to_vec(),
                FANOUT_CHANNEL.as_bytes().to_vec(),
            ]
        })
        .await?;
    match reply {
        Value::Nil => Ok(None),
        Value::BulkString(id) => Ok(Some(PresenceChange::Leave {
            id: Arc::from(text(id).ok_or_else(|| broker.unexpected("presence leave"))?),
        })),
        _ => Err(broker.unexpected("presence leave")),
    }
}

/// Session `sid`'s presence lasts another presence ttl; a session without presence gets none.
pub(super) async fn touch(broker: &RedisBroker, sid: &str) -> Result<(), BrokerError> {
    let ttl = broker.limits.presence_ttl;
    broker
        .link
        .eval(Script::Touch, vec![keys::presence_deadlines()], |_| {
            vec![sid.as_bytes().to_vec(), ttl.to_string().into_bytes()]
        })
        .await
        .map(drop)
}

/// Who is present on `stream`, on any node.
pub(super) async fn info(broker: &RedisBroker, stream: &str) -> Result<PresenceInfo, BrokerError> {
    let mut command = redis::cmd("HGETALL");
    command.arg(keys::presence_records(stream));
    records(broker.link.query(command).await?).ok_or_else(|| broker.unexpected("presence HGETALL"))
}

/// Removes lapsed presence. Its leaves are published by the script, so none is returned.
pub(super) async fn sweep(broker: &RedisBroker) -> Result<Vec<PresenceLapse>, BrokerError> {
    for _ in 0..SWEEP_CALLS {
        let removed = broker
            .link
            .eval(Script::Sweep, vec![keys::presence_deadlines()], |_| {
                vec![
                    PREFIX.as_bytes().to_vec(),
                    FANOUT_CHANNEL.as_bytes().to_vec(),
                    SWEEP_BATCH.to_string().into_bytes(),
                ]
            })
            .await?;
        match removed {
            Value::Int(SWEEP_BATCH) => continue,
            Value::Int(_) => break,
            _ => return Err(broker.unexpected("presence sweep")),
        }
    }
    Ok(Vec::new())
}

/// An `HGETALL` of a stream's records: id → info JSON (`''` for none), as a flat array or (RESP3)
/// a map.
fn records(reply: Value) -> Option<PresenceInfo> {
    let pairs: Vec<(Value, Value)> = match reply {
        Value::Array(items) => {
            let mut items = items.into_iter();
            let mut pairs = Vec::with_capacity(items.len() / 2);
            while let Some(id) = items.next() {
                pairs.push((id, items.next()?));
            }
            pairs
        }
        Value::Map(pairs) => pairs,
        _ => return None,
    };
    let records = pairs
        .into_iter()
        .map(|(id, info)| {
            let id = bulk_text(id)?;
            let info = bulk_text(info)?;
            Some(PresenceRecord {
                id: Arc::from(id),
                info: (!info.is_empty()).then(|| Arc::from(info)),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(PresenceInfo { records })
}

fn bulk_text(value: Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => text(bytes),
        _ => None,
    }
}

fn text(bytes: Vec<u8>) -> Option<String> {
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(text: &str) -> Value {
        Value::BulkString(text.as_bytes().to_vec())
    }

    #[test]
    fn records_are_read_from_hgetall_with_empty_info_as_none() {
        let reply = Value::Array(vec![
            bulk("u1"),
            bulk(r#"{"name":"Ann"}"#),
            bulk("u2"),
            bulk(""),
        ]);
        let info = records(reply).unwrap();
        assert_eq!(
            info.records,
            [
                PresenceRecord {
                    id: Arc::from("u1"),
                    info: Some(Arc::from(r#"{"name":"Ann"}"#)),
                },
                PresenceRecord {
                    id: Arc::from("u2"),
                    info: None,
                },
            ]
        );
        assert_eq!(records(Value::Array(vec![])), Some(PresenceInfo::default()));
    }

    #[test]
    fn a_malformed_hgetall_reply_is_refused() {
        assert_eq!(records(Value::Array(vec![bulk("u1")])), None);
        assert_eq!(records(Value::Array(vec![bulk("u1"), Value::Int(1)])), None);
        assert_eq!(records(Value::Int(1)), None);
    }
}
