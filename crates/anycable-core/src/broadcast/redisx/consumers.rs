//! Consumers left in the group: every node that ever read has one (a new name per start), and a
//! node that stopped keeps its name in the group forever unless someone deletes it. A node deletes
//! its own at shutdown once nothing is pending for it; the reader deletes those of nodes that
//! died, once they have been idle long and hold nothing (what they held was claimed by then).

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::Value;

use crate::redis_link::{within, Failure, REPLY_DEADLINE};

/// How long a consumer must have been idle before another node deletes it.
pub(super) const DEPARTED_AFTER: Duration = Duration::from_secs(3600);
/// How often the reader looks for departed consumers.
pub(super) const LOOK_EVERY: Duration = Duration::from_secs(60);

/// One row of `XINFO CONSUMERS`.
#[derive(Debug, PartialEq, Eq)]
struct Consumer {
    name: String,
    pending: i64,
    idle_ms: i64,
}

/// Deletes the consumers, other than `me`, idle for [`DEPARTED_AFTER`] with nothing pending.
pub(super) async fn forget_departed(
    connection: &mut MultiplexedConnection,
    stream: &str,
    group: &str,
    me: &str,
) -> Result<(), Failure> {
    let mut list = redis::cmd("XINFO");
    list.arg("CONSUMERS").arg(stream).arg(group);
    let reply = within(REPLY_DEADLINE, list.query_async::<Value>(connection)).await?;
    for name in departed(consumers(reply), me) {
        delete(connection, stream, group, &name).await?;
    }
    Ok(())
}

/// Deletes `me` from the group if nothing is pending for it (a deleted consumer's pending
/// entries would be lost, so those stay for the next reader to claim).
pub(super) async fn forget_self(
    connection: &mut MultiplexedConnection,
    stream: &str,
    group: &str,
    me: &str,
) -> Result<(), Failure> {
    let mut pending = redis::cmd("XPENDING");
    pending
        .arg(stream)
        .arg(group)
        .arg("-")
        .arg("+")
        .arg(1)
        .arg(me);
    let reply = within(REPLY_DEADLINE, pending.query_async::<Value>(connection)).await?;
    if reply == Value::Array(Vec::new()) {
        delete(connection, stream, group, me).await?;
    }
    Ok(())
}

async fn delete(
    connection: &mut MultiplexedConnection,
    stream: &str,
    group: &str,
    name: &str,
) -> Result<(), Failure> {
    let mut delete = redis::cmd("XGROUP");
    delete.arg("DELCONSUMER").arg(stream).arg(group).arg(name);
    within(REPLY_DEADLINE, delete.query_async::<()>(connection)).await
}

fn departed(consumers: Vec<Consumer>, me: &str) -> Vec<String> {
    consumers
        .into_iter()
        .filter(|c| {
            c.name != me && c.pending == 0 && c.idle_ms >= DEPARTED_AFTER.as_millis() as i64
        })
        .map(|c| c.name)
        .collect()
}

/// `XINFO CONSUMERS`: one `[name, <n>, pending, <n>, idle, <ms>, …]` per consumer (RESP2), or a
/// map per consumer (RESP3). Rows it cannot read are left out, so they are never deleted.
fn consumers(reply: Value) -> Vec<Consumer> {
    let Value::Array(rows) = reply else {
        return Vec::new();
    };
    rows.into_iter().filter_map(consumer).collect()
}

fn consumer(row: Value) -> Option<Consumer> {
    let pairs: Vec<(Value, Value)> = match row {
        Value::Array(items) => {
            let mut items = items.into_iter();
            std::iter::from_fn(|| Some((items.next()?, items.next()?))).collect()
        }
        Value::Map(pairs) => pairs,
        _ => return None,
    };
    let (mut name, mut pending, mut idle_ms) = (None, None, None);
    for (key, value) in pairs {
        match (key, value) {
            (Value::BulkString(key), Value::BulkString(value)) if key == b"name" => {
                name = String::from_utf8(value).ok();
            }
            (Value::BulkString(key), Value::Int(n)) if key == b"pending" => pending = Some(n),
            (Value::BulkString(key), Value::Int(n)) if key == b"idle" => idle_ms = Some(n),
            _ => {}
        }
    }
    Some(Consumer {
        name: name?,
        pending: pending?,
        idle_ms: idle_ms?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, pending: i64, idle_ms: i64) -> Value {
        let bulk = |s: &str| Value::BulkString(s.as_bytes().to_vec());
        Value::Array(vec![
            bulk("name"),
            bulk(name),
            bulk("pending"),
            Value::Int(pending),
            bulk("idle"),
            Value::Int(idle_ms),
            bulk("inactive"),
            Value::Int(idle_ms),
        ])
    }

    #[test]
    fn only_long_idle_consumers_holding_nothing_are_departed_never_this_one() {
        let hour = DEPARTED_AFTER.as_millis() as i64;
        let reply = Value::Array(vec![
            row("acrs-old", 0, hour + 1),
            row("acrs-busy", 2, hour + 1),
            row("acrs-recent", 0, hour - 1),
            row("acrs-me", 0, hour + 1),
            Value::Array(vec![Value::Int(1)]),
        ]);
        assert_eq!(departed(consumers(reply), "acrs-me"), ["acrs-old"]);
        assert_eq!(consumers(Value::Nil), []);
    }
}
