//! Metrics: what the AnyCable server counts, under its names (`anycable_go_…`), plus histograms it
//! lacks (broadcast fan-out seconds, application call seconds, outbox depth). Each server owns its
//! own figures (several servers may run in one process): the hub, the application calls and the
//! sessions each keep theirs, and [`MetricsSnapshot`] gathers them for the Prometheus endpoint and
//! `server.metrics()`.
//!
//! Hand-written rather than `prometheus-client`: on the fan-out path every session counts the
//! frames and bytes it writes and its queue depth, from every worker thread at once. That crate's
//! counters are one shared atomic each (its histograms take a lock per observation), so the
//! threads would fight over the same cache lines on every broadcast. Here hot values are striped
//! per thread ([`stripes`]) and read only at a scrape; the text format is a few lines
//! ([`text`]). Everything is always counted (there is nothing to switch off: the endpoint only
//! decides whether the figures are served).

mod calls;
mod counter;
mod fanout;
mod gauge;
mod histogram;
mod json;
mod sessions;
mod snapshot;
mod stripes;
mod text;
mod unique;

pub(crate) use calls::CallMetrics;
pub(crate) use counter::Counter;
pub(crate) use fanout::FanoutMetrics;
pub(crate) use gauge::Gauge;
pub use histogram::HistogramSnapshot;
pub(crate) use sessions::{SessionEnd, SessionMetrics};
pub use snapshot::{Family, FamilyValue, MetricsSnapshot, PREFIX};
pub use text::CONTENT_TYPE;
pub(crate) use unique::UniqueIdentifiers;
