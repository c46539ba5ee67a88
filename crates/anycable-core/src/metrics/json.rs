//! A [`MetricsSnapshot`] as the plain object `server.metrics()` returns: names without the
//! prefix as keys; counters and gauges as numbers, labelled counters as `{ label value: n }`,
//! histograms as `{ buckets: [{ le, count }], sum, count }` (cumulative, as Prometheus has them).

use serde_json::{json, Map, Value};

use super::{FamilyValue, MetricsSnapshot};

impl MetricsSnapshot {
    pub fn to_json(&self) -> String {
        let object: Map<String, Value> = self
            .families
            .iter()
            .map(|family| {
                let value = match &family.value {
                    FamilyValue::Counter(value) => json!(value),
                    FamilyValue::Gauge(value) => json!(value),
                    FamilyValue::LabeledCounter { values, .. } => Value::Object(
                        values
                            .iter()
                            .map(|(label, value)| ((*label).to_owned(), json!(value)))
                            .collect(),
                    ),
                    FamilyValue::Histogram(histogram) => json!({
                        "buckets": histogram
                            .buckets
                            .iter()
                            .map(|(le, count)| json!({ "le": le, "count": count }))
                            .collect::<Vec<_>>(),
                        "sum": histogram.sum,
                        "count": histogram.count,
                    }),
                };
                (family.name.to_owned(), value)
            })
            .collect();
        Value::Object(object).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Family, HistogramSnapshot};
    use super::*;

    #[test]
    fn keys_are_the_names_and_histograms_keep_their_buckets() {
        let snapshot = MetricsSnapshot {
            families: vec![
                Family {
                    name: "client_msg_total",
                    help: "",
                    value: FamilyValue::Counter(7),
                },
                Family {
                    name: "disconnect_total",
                    help: "",
                    value: FamilyValue::LabeledCounter {
                        label: "reason",
                        values: vec![("remote", 2)],
                    },
                },
                Family {
                    name: "outbox_depth",
                    help: "",
                    value: FamilyValue::Histogram(HistogramSnapshot {
                        buckets: vec![(1.0, 3)],
                        sum: 5.0,
                        count: 4,
                    }),
                },
            ],
        };
        let parsed: Value = serde_json::from_str(&snapshot.to_json()).unwrap();
        assert_eq!(
            parsed,
            json!({
                "client_msg_total": 7,
                "disconnect_total": { "remote": 2 },
                "outbox_depth": { "buckets": [{ "le": 1.0, "count": 3 }], "sum": 5.0, "count": 4 },
            })
        );
    }
}
