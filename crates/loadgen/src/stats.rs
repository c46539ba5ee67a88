use serde::Serialize;

/// p50/p95/p99/max of a sample, in the sample's unit.
#[derive(Serialize)]
pub struct Summary {
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
}

impl Summary {
    pub fn of(samples: &[f64]) -> Option<Summary> {
        if samples.is_empty() {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let at = |p: f64| sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)];
        Some(Summary {
            p50: at(0.5),
            p95: at(0.95),
            p99: at(0.99),
            max: sorted[sorted.len() - 1],
        })
    }
}

/// A process's resident set size in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        line.strip_prefix("VmRSS:")?
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_sample() {
        let samples: Vec<f64> = (1..=100).map(f64::from).collect();
        let summary = Summary::of(&samples).unwrap();
        assert_eq!(
            (summary.p50, summary.p99, summary.max),
            (51.0, 100.0, 100.0)
        );
        assert!(Summary::of(&[]).is_none());
    }

    #[test]
    fn reads_this_process_rss() {
        assert!(rss_kib(std::process::id()).unwrap() > 0);
    }
}
