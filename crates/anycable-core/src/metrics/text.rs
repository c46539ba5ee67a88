//! The Prometheus text exposition format (version 0.0.4) of a [`MetricsSnapshot`].

use std::fmt::Write;

use super::{FamilyValue, MetricsSnapshot, PREFIX};

/// The `Content-Type` of the rendered text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

impl MetricsSnapshot {
    pub fn to_prometheus_text(&self) -> String {
        let mut out = String::with_capacity(4096);
        for family in &self.families {
            let name = family.name;
            let kind = match family.value {
                FamilyValue::Counter(_) | FamilyValue::LabeledCounter { .. } => "counter",
                FamilyValue::Gauge(_) => "gauge",
                FamilyValue::Histogram(_) => "histogram",
            };
            // Writing to a String cannot fail.
            let _ = writeln!(out, "# HELP {PREFIX}{name} {}", family.help);
            let _ = writeln!(out, "# TYPE {PREFIX}{name} {kind}");
            match &family.value {
                FamilyValue::Counter(value) => {
                    let _ = writeln!(out, "{PREFIX}{name} {value}");
                }
                FamilyValue::Gauge(value) => {
                    let _ = writeln!(out, "{PREFIX}{name} {value}");
                }
                FamilyValue::LabeledCounter { label, values } => {
                    for (label_value, value) in values {
                        let _ =
                            writeln!(out, "{PREFIX}{name}{{{label}=\"{label_value}\"}} {value}");
                    }
                }
                FamilyValue::Histogram(histogram) => {
                    for (bound, count) in &histogram.buckets {
                        let _ = writeln!(out, "{PREFIX}{name}_bucket{{le=\"{bound}\"}} {count}");
                    }
                    let count = histogram.count;
                    let _ = writeln!(out, "{PREFIX}{name}_bucket{{le=\"+Inf\"}} {count}");
                    let _ = writeln!(out, "{PREFIX}{name}_sum {}", histogram.sum);
                    let _ = writeln!(out, "{PREFIX}{name}_count {count}");
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Family, HistogramSnapshot};
    use super::*;

    #[test]
    fn renders_each_kind_with_help_type_and_the_prefix() {
        let snapshot = MetricsSnapshot {
            families: vec![
                Family {
                    name: "clients_num",
                    help: "The number of active clients",
                    value: FamilyValue::Gauge(2),
                },
                Family {
                    name: "disconnect_total",
                    help: "Sessions ended, by reason",
                    value: FamilyValue::LabeledCounter {
                        label: "reason",
                        values: vec![("too_slow", 1), ("remote", 0)],
                    },
                },
                Family {
                    name: "rpc_duration_seconds",
                    help: "Call seconds",
                    value: FamilyValue::Histogram(HistogramSnapshot {
                        buckets: vec![(0.001, 1), (0.5, 3)],
                        sum: 0.75,
                        count: 4,
                    }),
                },
            ],
        };
        assert_eq!(
            snapshot.to_prometheus_text(),
            "# HELP anycable_go_clients_num The number of active clients\n\
             # TYPE anycable_go_clients_num gauge\n\
             anycable_go_clients_num 2\n\
             # HELP anycable_go_disconnect_total Sessions ended, by reason\n\
             # TYPE anycable_go_disconnect_total counter\n\
             anycable_go_disconnect_total{reason=\"too_slow\"} 1\n\
             anycable_go_disconnect_total{reason=\"remote\"} 0\n\
             # HELP anycable_go_rpc_duration_seconds Call seconds\n\
             # TYPE anycable_go_rpc_duration_seconds histogram\n\
             anycable_go_rpc_duration_seconds_bucket{le=\"0.001\"} 1\n\
             anycable_go_rpc_duration_seconds_bucket{le=\"0.5\"} 3\n\
             anycable_go_rpc_duration_seconds_bucket{le=\"+Inf\"} 4\n\
             anycable_go_rpc_duration_seconds_sum 0.75\n\
             anycable_go_rpc_duration_seconds_count 4\n"
        );
    }
}
