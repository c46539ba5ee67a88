//! The node-to-node message on [`PUBSUB_CHANNEL`](super::PUBSUB_CHANNEL): a batch of publications
//! tagged with the publishing node, so that a node skips its own copy (it has already delivered it
//! locally): `{"node":"<32 hex digits>","publications":[<AnyCable publication>, …]}`.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::broadcast::{Publication, PublicationError};

/// A random id per running server: two servers in one process are two nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct NodeId(String);

impl NodeId {
    pub(super) fn random() -> NodeId {
        NodeId(format!("{:032x}", rand::random::<u128>()))
    }
}

/// Builds one envelope from publications taken off the queue in order.
pub(super) struct EnvelopeWriter {
    text: String,
    count: usize,
}

impl EnvelopeWriter {
    pub(super) fn new(node: &NodeId) -> EnvelopeWriter {
        // The id is hex, so it needs no escaping.
        EnvelopeWriter {
            text: format!(r#"{{"node":"{}","publications":["#, node.0),
            count: 0,
        }
    }

    pub(super) fn push(&mut self, publication: &Publication) {
        if self.count > 0 {
            self.text.push(',');
        }
        self.text.push_str(&publication.to_wire_json());
        self.count += 1;
    }

    /// Publications so far.
    pub(super) fn count(&self) -> usize {
        self.count
    }

    /// Bytes so far.
    pub(super) fn len(&self) -> usize {
        self.text.len()
    }

    pub(super) fn finish(mut self) -> String {
        self.text.push_str("]}");
        self.text
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    node: &'a str,
    #[serde(borrow)]
    publications: &'a RawValue,
}

/// The publications in an envelope from another node; none when `own` published it.
pub(super) fn open(own: &NodeId, payload: &[u8]) -> Result<Vec<Publication>, PublicationError> {
    let envelope: Envelope = serde_json::from_slice(payload)
        .map_err(|error| PublicationError(format!("invalid node-to-node message: {error}")))?;
    if envelope.node == own.0 {
        return Ok(Vec::new());
    }
    Publication::parse_batch(envelope.publications.get().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(node: &NodeId, messages: &[&str]) -> String {
        let mut writer = EnvelopeWriter::new(node);
        for message in messages {
            writer.push(&Publication::new("s", (*message).into()).unwrap());
        }
        writer.finish()
    }

    #[test]
    fn another_node_reads_the_publications_in_order() {
        let (ours, theirs) = (NodeId::random(), NodeId::random());
        let text = envelope(&theirs, &["1", r#"{"a":"b"}"#]);
        let opened = open(&ours, text.as_bytes()).unwrap();
        assert_eq!(
            opened.iter().map(|p| p.message.get()).collect::<Vec<_>>(),
            ["1", r#"{"a":"b"}"#]
        );
    }

    #[test]
    fn the_publishing_node_skips_its_own_copy() {
        let ours = NodeId::random();
        assert!(open(&ours, envelope(&ours, &["1"]).as_bytes())
            .unwrap()
            .is_empty());
    }

    #[test]
    fn node_ids_differ() {
        assert_ne!(NodeId::random(), NodeId::random());
    }

    #[test]
    fn a_bare_publication_or_junk_is_refused() {
        let ours = NodeId::random();
        for junk in [&br#"{"stream":"s","data":"1"}"#[..], b"", b"[]"] {
            assert!(open(&ours, junk).is_err());
        }
    }
}
