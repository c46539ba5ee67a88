//! A server's figures at one moment, as named families: what the Prometheus endpoint renders
//! (see [`text`](super::text)) and what `server.metrics()` returns (see [`json`](super::json)),
//! so the two cannot disagree.

use super::HistogramSnapshot;

/// Every exposed name starts with the AnyCable server's prefix, so its dashboards find them.
pub const PREFIX: &str = "anycable_go_";

#[derive(Debug, Clone, PartialEq)]
pub struct MetricsSnapshot {
    pub families: Vec<Family>,
}

/// One metric: its name (without [`PREFIX`]), its help line and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    pub name: &'static str,
    pub help: &'static str,
    pub value: FamilyValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FamilyValue {
    Counter(u64),
    Gauge(i64),
    /// A counter per value of one label, e.g. disconnects per `reason`.
    LabeledCounter {
        label: &'static str,
        values: Vec<(&'static str, u64)>,
    },
    Histogram(HistogramSnapshot),
}

impl MetricsSnapshot {
    /// The family called `name` (without the prefix).
    pub fn get(&self, name: &str) -> Option<&FamilyValue> {
        self.families
            .iter()
            .find(|family| family.name == name)
            .map(|family| &family.value)
    }
}
