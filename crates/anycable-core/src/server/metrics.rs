//! A server's figures, gathered from the hub, the sessions, the application calls and Redis into
//! one [`MetricsSnapshot`], and the HTTP response that serves them.

use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::StatusCode;

use super::response::{owned_text, HttpResponse};
use super::{CableServer, Shared};
use crate::metrics::{Family, FamilyValue, MetricsSnapshot, CONTENT_TYPE as PROMETHEUS_TEXT};

impl CableServer {
    /// Every metric this server keeps, as they are now.
    pub fn metrics(&self) -> MetricsSnapshot {
        snapshot(&self.shared)
    }
}

pub(super) fn snapshot(shared: &Shared) -> MetricsSnapshot {
    let sessions = &shared.hub.sessions;
    let fanout = &shared.hub.fanout;
    let hub = shared.hub.stats();
    let redis_invalid = shared
        .redis_health
        .as_ref()
        .map_or(0, |health| health.stats().invalid);
    let calls = shared
        .settings
        .session
        .rpc
        .as_ref()
        .map(|rpc| &*rpc.metrics);
    let call_count = |read: fn(&crate::metrics::CallMetrics) -> u64| calls.map_or(0, read);
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let family = |name, help, value| Family { name, help, value };
    use FamilyValue::{Counter, Gauge, Histogram, LabeledCounter};
    let mut families = vec![
        family(
            "clients_num",
            "The number of active clients",
            Gauge(sessions.clients.get()),
        ),
        family(
            "clients_uniq_num",
            "The number of unique clients (with respect to connection identifiers)",
            Gauge(count(sessions.unique.count())),
        ),
        family(
            "client_msg_total",
            "The total number of received messages from clients",
            Counter(sessions.client_msg.get()),
        ),
        family(
            "failed_client_msg_total",
            "The total number of unrecognized messages received from clients",
            Counter(sessions.failed_client_msg.get()),
        ),
        family(
            "broadcast_msg_total",
            "The total number of broadcasts delivered to this node's subscribers",
            Counter(fanout.broadcasts.get()),
        ),
        family(
            "failed_broadcast_msg_total",
            "The total number of invalid broadcasts (HTTP and redisx)",
            Counter(shared.failed_broadcasts.get() + redis_invalid),
        ),
        family(
            "broadcast_streams_num",
            "The number of active broadcasting streams",
            Gauge(count(hub.streams)),
        ),
        family(
            "rpc_call_total",
            "The total number of RPC calls",
            Counter(call_count(|c| c.calls.get())),
        ),
        family(
            "rpc_error_total",
            "The total number of failed RPC calls",
            Counter(call_count(|c| c.errors.get())),
        ),
        family(
            "rpc_timeouts_total",
            "The total number of timed out RPC calls",
            Counter(call_count(|c| c.timeouts.get())),
        ),
        family(
            "rpc_pending_num",
            "The number of pending RPC calls",
            Gauge(calls.map_or(0, |c| c.pending.get())),
        ),
        family(
            "failed_auths_total",
            "The total number of failed authentication attempts",
            Counter(sessions.failed_auths.get()),
        ),
        family(
            "server_msg_total",
            "The total number of messages sent to clients",
            Counter(sessions.server_msg.get()),
        ),
        family(
            "data_sent_total",
            "The total amount of bytes sent to clients",
            Counter(sessions.data_sent.get()),
        ),
        family(
            "data_rcvd_total",
            "The total amount of bytes received from clients",
            Counter(sessions.data_rcvd.get()),
        ),
        family(
            "disconnect_total",
            "The total number of sessions ended, by reason",
            LabeledCounter {
                label: "reason",
                values: sessions.ends(),
            },
        ),
        family(
            "broadcast_fanout_seconds",
            "Seconds a broadcast takes to reach every local subscriber's queue",
            Histogram(fanout.seconds.snapshot()),
        ),
        family(
            "outbox_depth",
            "Frames waiting in a client's queue each time it is written to",
            Histogram(sessions.queue_depth.snapshot()),
        ),
    ];
    if let Some(calls) = calls {
        families.push(family(
            "rpc_duration_seconds",
            "Seconds an RPC call takes, its wait for a free slot included",
            Histogram(calls.duration.snapshot()),
        ));
    }
    MetricsSnapshot { families }
}

/// `GET <metricsPath>`: the Prometheus text.
pub(super) fn response(shared: &Shared) -> HttpResponse {
    let mut response = owned_text(StatusCode::OK, snapshot(shared).to_prometheus_text());
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(PROMETHEUS_TEXT));
    response
}
