//! The publication parser (`Publication::parse_batch`, the `/_broadcast` body and the Redis
//! channel's messages): no panic; what it accepts is JSON holding that many publications; each
//! message is JSON; and `to_wire_json` (what goes to other nodes) parses to the same publication.

#![no_main]

use std::collections::BTreeMap;

use anycable_core::Publication;
use libfuzzer_sys::fuzz_target;
use serde::de::IgnoredAny;

type Members = BTreeMap<String, IgnoredAny>;

fuzz_target!(|body: &[u8]| {
    let Ok(batch) = Publication::parse_batch(body) else {
        return;
    };
    let shown = String::from_utf8_lossy(body);
    // Objects, their members skipped as serde_json skips ignored fields.
    let expected = serde_json::from_slice::<Vec<Members>>(body)
        .map(|batch| batch.len())
        .or_else(|_| serde_json::from_slice::<Members>(body).map(|_| 1))
        .unwrap_or_else(|_| panic!("accepted {shown:?}, which is no object or array of them"));
    assert_eq!(batch.len(), expected, "publications in {shown:?}");
    for publication in &batch {
        serde_json::from_str::<IgnoredAny>(publication.message.get())
            .unwrap_or_else(|error| panic!("message of {shown:?} is not JSON: {error}"));
        let wire = publication.to_wire_json();
        let again = Publication::parse_batch(wire.as_bytes())
            .unwrap_or_else(|error| panic!("{wire:?} (from {shown:?}) is refused: {error}"));
        assert_eq!(again.len(), 1, "{wire:?}");
        let again = &again[0];
        assert_eq!(
            (
                &again.stream,
                again.message.get(),
                &again.exclude_socket,
                again.transient
            ),
            (
                &publication.stream,
                publication.message.get(),
                &publication.exclude_socket,
                publication.transient
            ),
            "{shown:?} changed on a round trip through {wire:?}"
        );
    }
});
