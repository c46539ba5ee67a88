//! What the sessions of one server count: open clients, commands and frames each way, refusals,
//! and why sessions ended.

use super::histogram::{Histogram, QUEUE_DEPTH};
use super::{Counter, Gauge, UniqueIdentifiers};
use crate::protocol::DisconnectReason;

/// Why a session ended, as the `reason` label of `disconnect_total`: the server's disconnect
/// reasons (the `reason` of the disconnect frame), the client closing or going away, and the
/// connection closed for breaking the protocol (malformed JSON, binary or oversized frames).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionEnd {
    Disconnect(DisconnectReason),
    ClientClosed,
    ProtocolError,
}

/// Every `reason` label, in exposition order.
pub(crate) const END_LABELS: [&str; 8] = [
    "unauthorized",
    "token_expired",
    "server_restart",
    "too_slow",
    "no_pong",
    "remote",
    "client_closed",
    "protocol_error",
];

impl SessionEnd {
    fn index(self) -> usize {
        let label = match self {
            SessionEnd::Disconnect(reason) => reason.as_str(),
            SessionEnd::ClientClosed => "client_closed",
            SessionEnd::ProtocolError => "protocol_error",
        };
        END_LABELS
            .iter()
            .position(|known| *known == label)
            .expect("every end has a label")
    }
}

pub(crate) struct SessionMetrics {
    /// Sessions welcomed and not yet ended (`clients_num`).
    pub(crate) clients: Gauge,
    pub(crate) unique: UniqueIdentifiers,
    /// Frames received (`client_msg_total`), those that were not a known command
    /// (`failed_client_msg_total`) and their bytes (`data_rcvd_total`).
    pub(crate) client_msg: Counter,
    pub(crate) failed_client_msg: Counter,
    pub(crate) data_rcvd: Counter,
    /// Frames written (`server_msg_total`) and their bytes (`data_sent_total`).
    pub(crate) server_msg: Counter,
    pub(crate) data_sent: Counter,
    /// Frames a client's queue held each time it was written out.
    pub(crate) queue_depth: Histogram,
    /// Connections refused as `unauthorized` (`failed_auths_total`).
    pub(crate) failed_auths: Counter,
    ends: [Counter; END_LABELS.len()],
}

impl Default for SessionMetrics {
    fn default() -> Self {
        SessionMetrics {
            clients: Gauge::default(),
            unique: UniqueIdentifiers::default(),
            client_msg: Counter::default(),
            failed_client_msg: Counter::default(),
            data_rcvd: Counter::default(),
            server_msg: Counter::default(),
            data_sent: Counter::default(),
            queue_depth: Histogram::new(&QUEUE_DEPTH),
            failed_auths: Counter::default(),
            ends: Default::default(),
        }
    }
}

impl SessionMetrics {
    /// A session was welcomed with these connection identifiers (`""` when anonymous).
    pub(crate) fn opened(&self, identifiers: &str) {
        self.clients.inc();
        self.unique.add(identifiers);
    }

    /// A welcomed session ended.
    pub(crate) fn closed(&self, identifiers: &str) {
        self.clients.dec();
        self.unique.remove(identifiers);
    }

    /// A frame of `bytes` was written to a client.
    pub(crate) fn sent(&self, bytes: usize) {
        self.server_msg.inc();
        self.data_sent.add(bytes as u64);
    }

    /// A frame of `bytes` was written straight to a client's socket by the fan-out or the
    /// pinger: one frame written out, none waiting behind it.
    pub(crate) fn sent_straight(&self, bytes: usize) {
        self.sent(bytes);
        self.queue_depth.observe(1);
    }

    pub(crate) fn ended(&self, end: SessionEnd) {
        self.ends[end.index()].inc();
    }

    /// Sessions ended per `reason` label, in [`END_LABELS`] order.
    pub(crate) fn ends(&self) -> Vec<(&'static str, u64)> {
        END_LABELS
            .iter()
            .zip(&self.ends)
            .map(|(label, counter)| (*label, counter.get()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_end_is_counted_under_its_own_label() {
        let metrics = SessionMetrics::default();
        metrics.ended(SessionEnd::Disconnect(DisconnectReason::Unauthorized));
        metrics.ended(SessionEnd::Disconnect(DisconnectReason::NoPong));
        metrics.ended(SessionEnd::ClientClosed);
        metrics.ended(SessionEnd::ClientClosed);
        let ends = metrics.ends();
        assert_eq!(ends[0], ("unauthorized", 1));
        assert_eq!(ends[4], ("no_pong", 1));
        assert_eq!(ends[6], ("client_closed", 2));
        assert_eq!(ends.iter().map(|(_, n)| n).sum::<u64>(), 4);
    }
}
