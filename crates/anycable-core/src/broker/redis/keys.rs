//! The Redis keys the broker uses, all under one prefix. Scripts get them as `KEYS` from here (the
//! sweep, which builds some itself, gets [`PREFIX`] as an argument), so Rust and Lua agree.

/// What every key of the broker starts with.
pub(crate) const PREFIX: &str = "$acrs:";

fn key(parts: &[&str]) -> Vec<u8> {
    let mut key = PREFIX.to_owned();
    for part in parts {
        key.push_str(part);
    }
    key.into_bytes()
}

/// `"<epoch> <run id>"`: the cluster's epoch and the Redis process it belongs to.
pub(super) fn epoch() -> Vec<u8> {
    key(&["epoch"])
}

/// Bucket (first 3 hex digits of the stream name's SHA-1) → highest offset given in it.
pub(super) fn high_water() -> Vec<u8> {
    key(&["hw"])
}

/// A stream's latest offset (`n`) and last registration time (`ms`).
pub(super) fn offsets(stream: &str) -> Vec<u8> {
    key(&["o:", stream])
}

/// A stream's history: a Redis Stream with ids `<ms>-<offset>` and the message in field `d`.
pub(super) fn history(stream: &str) -> Vec<u8> {
    key(&["h:", stream])
}

/// A kept session's snapshot, under its cache key (see `session::resumption`).
pub(super) fn session(cache_key: &str) -> Vec<u8> {
    key(&["se:", cache_key])
}

/// Sessions holding presence → their deadline (Redis Unix seconds).
pub(super) fn presence_deadlines() -> Vec<u8> {
    key(&["pd"])
}

/// A session's presence: stream → the id it joined as.
pub(super) fn presence_held(sid: &str) -> Vec<u8> {
    key(&["pj:", sid])
}

/// A stream's present ids → their info JSON (`''` for none).
pub(super) fn presence_records(stream: &str) -> Vec<u8> {
    key(&["pr:", stream])
}

/// A stream's present ids → how many sessions hold each.
pub(super) fn presence_counts(stream: &str) -> Vec<u8> {
    key(&["pc:", stream])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_prefix_and_a_name() {
        assert_eq!(epoch(), b"$acrs:epoch");
        assert_eq!(high_water(), b"$acrs:hw");
        assert_eq!(offsets("chat/1"), b"$acrs:o:chat/1");
        assert_eq!(history("chat/1"), b"$acrs:h:chat/1");
        assert_eq!(session("sid/digest"), b"$acrs:se:sid/digest");
        assert_eq!(presence_deadlines(), b"$acrs:pd");
        assert_eq!(presence_held("sid"), b"$acrs:pj:sid");
        assert_eq!(presence_records("s"), b"$acrs:pr:s");
        assert_eq!(presence_counts("s"), b"$acrs:pc:s");
    }
}
