//! Stream entries as Redis returns them from `XREADGROUP` and `XAUTOCLAIM`, parsed by hand (the
//! crate's `streams` feature stays off).

use redis::{ErrorKind, RedisError, RedisResult, Value};

/// The entry field the AnyCable SDKs put the publication in.
const PAYLOAD_FIELD: &[u8] = b"payload";

/// One stream entry.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Entry {
    pub id: String,
    /// The `payload` field; `None` when the entry has none.
    pub payload: Option<Vec<u8>>,
}

/// `XREADGROUP … STREAMS <s> >`: nil when the block timed out, else `[[stream, [entry, …]]]`.
pub(super) fn read_reply(reply: Value) -> RedisResult<Vec<Entry>> {
    match reply {
        Value::Nil => Ok(Vec::new()),
        Value::Array(streams) => {
            let mut entries = Vec::new();
            for stream in streams {
                match stream {
                    Value::Array(mut pair) if pair.len() == 2 => {
                        entries.extend(entry_list(pair.swap_remove(1))?)
                    }
                    _ => return Err(malformed()),
                }
            }
            Ok(entries)
        }
        _ => Err(malformed()),
    }
}

/// `XAUTOCLAIM`: `[next cursor, [entry, …], [deleted id, …]]` (Redis 7; 6.2 has no third part).
/// The cursor is `0-0` once every pending entry was scanned.
pub(super) fn claim_reply(reply: Value) -> RedisResult<(String, Vec<Entry>)> {
    match reply {
        Value::Array(parts) if parts.len() >= 2 => {
            let mut parts = parts.into_iter();
            let cursor = text(parts.next().ok_or_else(malformed)?)?;
            let entries = entry_list(parts.next().ok_or_else(malformed)?)?;
            Ok((cursor, entries))
        }
        _ => Err(malformed()),
    }
}

/// A list of `[id, [field, value, …]]`; a nil in place of an entry (one deleted while pending,
/// as Redis 6.2 reports it) is skipped.
fn entry_list(list: Value) -> RedisResult<Vec<Entry>> {
    let Value::Array(items) = list else {
        return Err(malformed());
    };
    let mut entries = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::Nil => {}
            Value::Array(pair) if pair.len() == 2 => {
                let mut pair = pair.into_iter();
                let id = text(pair.next().ok_or_else(malformed)?)?;
                let payload = payload(pair.next().ok_or_else(malformed)?)?;
                entries.push(Entry { id, payload });
            }
            _ => return Err(malformed()),
        }
    }
    Ok(entries)
}

fn payload(fields: Value) -> RedisResult<Option<Vec<u8>>> {
    let fields = match fields {
        Value::Array(fields) => fields,
        Value::Nil => return Ok(None),
        _ => return Err(malformed()),
    };
    let mut fields = fields.into_iter();
    while let (Some(name), Some(value)) = (fields.next(), fields.next()) {
        if let (Value::BulkString(name), Value::BulkString(value)) = (name, value) {
            if name == PAYLOAD_FIELD {
                return Ok(Some(value));
            }
        }
    }
    Ok(None)
}

fn text(value: Value) -> RedisResult<String> {
    match value {
        Value::BulkString(bytes) => String::from_utf8(bytes).map_err(|_| malformed()),
        Value::SimpleString(text) => Ok(text),
        _ => Err(malformed()),
    }
}

fn malformed() -> RedisError {
    RedisError::from((ErrorKind::UnexpectedReturnType, "unexpected stream reply"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(text: &str) -> Value {
        Value::BulkString(text.as_bytes().to_vec())
    }

    fn entry(id: &str, fields: &[&str]) -> Value {
        Value::Array(vec![
            bulk(id),
            Value::Array(fields.iter().map(|f| bulk(f)).collect()),
        ])
    }

    #[test]
    fn reads_entries_and_their_payload_among_other_fields() {
        let reply = Value::Array(vec![Value::Array(vec![
            bulk("__anycable__"),
            Value::Array(vec![
                entry("1-0", &["payload", "{}"]),
                entry("2-0", &["other", "x", "payload", "[]"]),
                entry("3-0", &["other", "x"]),
            ]),
        ])]);
        assert_eq!(
            read_reply(reply).unwrap(),
            [
                Entry {
                    id: "1-0".into(),
                    payload: Some(b"{}".to_vec())
                },
                Entry {
                    id: "2-0".into(),
                    payload: Some(b"[]".to_vec())
                },
                Entry {
                    id: "3-0".into(),
                    payload: None
                },
            ]
        );
        assert_eq!(read_reply(Value::Nil).unwrap(), []);
    }

    #[test]
    fn claims_give_the_cursor_and_skip_deleted_entries() {
        let reply = Value::Array(vec![
            bulk("0-0"),
            Value::Array(vec![entry("5-1", &["payload", "1"]), Value::Nil]),
            Value::Array(vec![bulk("4-0")]),
        ]);
        let (cursor, entries) = claim_reply(reply).unwrap();
        assert_eq!(cursor, "0-0");
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].id, "5-1");
    }

    #[test]
    fn unexpected_shapes_are_errors_not_panics() {
        for reply in [
            Value::Int(1),
            Value::Array(vec![Value::Int(1)]),
            Value::Array(vec![Value::Array(vec![bulk("s"), Value::Int(2)])]),
            Value::Array(vec![Value::Array(vec![
                bulk("s"),
                Value::Array(vec![Value::Array(vec![Value::Int(1), Value::Nil])]),
            ])]),
        ] {
            assert!(read_reply(reply).is_err());
        }
        assert!(claim_reply(Value::Array(vec![bulk("0-0")])).is_err());
        assert!(claim_reply(Value::Nil).is_err());
    }
}
