//! What the broker's scripts publish on the fan-out channel, decoded. One message carries records
//! back to back: `record := kind field*`, `field := <byte length>:<bytes>`, with kinds
//! - `m` epoch, offset, stream, exclude (`''` none), data: a registered publication;
//! - `t` stream, exclude, data: a transient one, in order with the registered ones;
//! - `j` stream, id, info (`''` none; JSON is never empty): a presence join;
//! - `l` stream, id: a presence leave.
//!
//! Lengths make the format binary-safe with no escaping, which Lua would do slowly.

use std::fmt;

/// One fan-out record, borrowing from the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Record<'a> {
    Kept {
        epoch: &'a str,
        offset: u64,
        stream: &'a str,
        exclude: Option<&'a str>,
        data: &'a str,
    },
    Transient {
        stream: &'a str,
        exclude: Option<&'a str>,
        data: &'a str,
    },
    Join {
        stream: &'a str,
        id: &'a str,
        info: Option<&'a str>,
    },
    Leave {
        stream: &'a str,
        id: &'a str,
    },
}

/// A fan-out message that is not made of records; what follows the bad part is not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordError(&'static str);

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid fan-out record: {}", self.0)
    }
}

impl std::error::Error for RecordError {}

/// The records of a fan-out message, in order; the first error ends them.
pub(crate) fn records(payload: &[u8]) -> impl Iterator<Item = Result<Record<'_>, RecordError>> {
    Records {
        rest: payload,
        failed: false,
    }
}

/// Longest length prefix read: 20 digits hold any `usize`.
const MAX_LENGTH_DIGITS: usize = 20;

struct Records<'a> {
    rest: &'a [u8],
    failed: bool,
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        let record = self.record();
        self.failed = record.is_err();
        Some(record)
    }
}

impl<'a> Records<'a> {
    fn record(&mut self) -> Result<Record<'a>, RecordError> {
        let (&kind, rest) = self.rest.split_first().expect("not empty");
        self.rest = rest;
        Ok(match kind {
            b'm' => Record::Kept {
                epoch: self.field()?,
                offset: self
                    .field()?
                    .parse()
                    .map_err(|_| RecordError("offset is not a number"))?,
                stream: self.field()?,
                exclude: optional(self.field()?),
                data: self.field()?,
            },
            b't' => Record::Transient {
                stream: self.field()?,
                exclude: optional(self.field()?),
                data: self.field()?,
            },
            b'j' => Record::Join {
                stream: self.field()?,
                id: self.field()?,
                info: optional(self.field()?),
            },
            b'l' => Record::Leave {
                stream: self.field()?,
                id: self.field()?,
            },
            _ => return Err(RecordError("unknown kind")),
        })
    }

    fn field(&mut self) -> Result<&'a str, RecordError> {
        let digits = self
            .rest
            .iter()
            .take(MAX_LENGTH_DIGITS + 1)
            .position(|&b| b == b':')
            .ok_or(RecordError("no field length"))?;
        let length: usize = std::str::from_utf8(&self.rest[..digits])
            .ok()
            .filter(|text| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|text| text.parse().ok())
            .ok_or(RecordError("bad field length"))?;
        let body = &self.rest[digits + 1..];
        if body.len() < length {
            return Err(RecordError("truncated field"));
        }
        let (bytes, rest) = body.split_at(length);
        self.rest = rest;
        std::str::from_utf8(bytes).map_err(|_| RecordError("field is not UTF-8"))
    }
}

/// `''` stands for none.
fn optional(field: &str) -> Option<&str> {
    (!field.is_empty()).then_some(field)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record as the scripts build it.
    fn record(kind: char, fields: &[&str]) -> Vec<u8> {
        let mut bytes = vec![kind as u8];
        for field in fields {
            bytes.extend_from_slice(format!("{}:{field}", field.len()).as_bytes());
        }
        bytes
    }

    #[test]
    fn each_kind_is_read_in_order() {
        let payload = [
            record('m', &["Ab_-", "42", "chat/1", "", r#"{"n":1}"#]),
            record('t', &["chat/1", "sid-7", "\"typing\""]),
            record('j', &["room", "u1", r#"{"name":"Ann"}"#]),
            record('j', &["room", "u2", ""]),
            record('l', &["room", "u1"]),
        ]
        .concat();
        let decoded: Vec<_> = records(&payload).collect::<Result<_, _>>().unwrap();
        assert_eq!(
            decoded,
            [
                Record::Kept {
                    epoch: "Ab_-",
                    offset: 42,
                    stream: "chat/1",
                    exclude: None,
                    data: r#"{"n":1}"#
                },
                Record::Transient {
                    stream: "chat/1",
                    exclude: Some("sid-7"),
                    data: "\"typing\""
                },
                Record::Join {
                    stream: "room",
                    id: "u1",
                    info: Some(r#"{"name":"Ann"}"#)
                },
                Record::Join {
                    stream: "room",
                    id: "u2",
                    info: None
                },
                Record::Leave {
                    stream: "room",
                    id: "u1"
                },
            ]
        );
    }

    #[test]
    fn fields_may_hold_colons_digits_and_multibyte_text() {
        let payload = record('t', &["a:b", "", "\"3:x é\""]);
        assert_eq!(
            records(&payload).next(),
            Some(Ok(Record::Transient {
                stream: "a:b",
                exclude: None,
                data: "\"3:x é\""
            }))
        );
    }

    #[test]
    fn damage_is_an_error_that_ends_the_records() {
        let good = record('l', &["s", "u"]);
        let mut truncated = record('m', &["e", "1", "s", "", "data"]);
        truncated.truncate(truncated.len() - 2);
        let not_utf8 = [&b"l1:s2:"[..], &[0xff, 0xfe]].concat();
        for damaged in [
            truncated,
            not_utf8,
            b"x".to_vec(),
            b"l1:s".to_vec(),
            b"l:s".to_vec(),
            b"l-1:s".to_vec(),
            b"l99999999999999999999999:s".to_vec(),
            record('m', &["e", "one", "s", "", "d"]),
        ] {
            let payload = [good.clone(), damaged.clone()].concat();
            let decoded: Vec<_> = records(&payload).collect();
            assert_eq!(decoded.len(), 2, "{:?}", String::from_utf8_lossy(&damaged));
            assert!(decoded[0].is_ok());
            assert!(decoded[1].is_err());
        }
        // Where a record ends is unknown after a bad one, so nothing after it is read.
        let after_junk = [b"x".to_vec(), good].concat();
        let decoded: Vec<_> = records(&after_junk).collect();
        assert_eq!(decoded.len(), 1);
        assert!(decoded[0].is_err());
    }

    #[test]
    fn an_empty_message_has_no_records() {
        assert_eq!(records(b"").count(), 0);
    }
}
