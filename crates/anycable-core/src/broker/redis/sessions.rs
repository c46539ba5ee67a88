//! The session cache in Redis: `SET … EX` to keep a snapshot, `GETDEL` to take it once. Redis
//! expires a snapshot after the sessions ttl, so an expired one is never returned and the sweep
//! has nothing to do here.

use redis::Value;

use super::{keys, RedisBroker};
use crate::broker::BrokerError;
use crate::log::log;
use crate::redis_link::Link;

/// Keeps `snapshot` under `key` for the sessions ttl, replacing any earlier one; with a ttl of 0
/// nothing is kept (and an earlier snapshot goes). A session not kept is lost: during an outage
/// the link's own stderr lines say so once, and any other failure gets a line here.
pub(super) async fn store(
    broker: &RedisBroker,
    key: &str,
    snapshot: String,
) -> Result<(), BrokerError> {
    let ttl = broker.limits.sessions_ttl;
    let command = if ttl == 0 {
        let mut command = redis::cmd("DEL");
        command.arg(keys::session(key));
        command
    } else {
        let mut command = redis::cmd("SET");
        command
            .arg(keys::session(key))
            .arg(snapshot)
            .arg("EX")
            .arg(ttl);
        command
    };
    let kept = broker.link.query(command).await.map(drop);
    if let Err(error) = &kept {
        if broker.health.is_up(Link::BrokerCommands) {
            log!(
                broker.health.log(),
                Warn,
                "a session could not be kept in Redis",
                sid = key,
                error = error
            );
        }
    }
    kept
}

/// Removes and returns the snapshot under `key`: on whichever node asks first, and only once.
pub(super) async fn take(broker: &RedisBroker, key: &str) -> Result<Option<String>, BrokerError> {
    let mut command = redis::cmd("GETDEL");
    command.arg(keys::session(key));
    snapshot(broker.link.query(command).await?)
}

/// A `GETDEL` reply: nil when nothing was kept. A snapshot that is not UTF-8 was not written by
/// us, so it restores nothing.
fn snapshot(reply: Value) -> Result<Option<String>, BrokerError> {
    match reply {
        Value::Nil => Ok(None),
        Value::BulkString(bytes) => Ok(String::from_utf8(bytes).ok()),
        _ => Err(BrokerError::Unavailable),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_getdel_reply_is_a_snapshot_or_nothing() {
        assert_eq!(snapshot(Value::Nil), Ok(None));
        assert_eq!(
            snapshot(Value::BulkString(b"{\"v\":1}".to_vec())),
            Ok(Some("{\"v\":1}".to_owned()))
        );
        assert_eq!(snapshot(Value::BulkString(vec![0xff, 0xfe])), Ok(None));
        assert_eq!(snapshot(Value::Int(1)), Err(BrokerError::Unavailable));
    }
}
