//! A Prometheus histogram with fixed bucket bounds, striped like [`Counter`](super::Counter):
//! observing is three relaxed adds on the calling thread's own cache line, no lock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::stripes::{stripe, Padded, STRIPES};

/// Bucket upper bounds in the unit observed (nanoseconds for durations), and how many of that
/// unit make one of the unit exposed (seconds). Dividing, the exposed bounds are the nearest
/// doubles to the decimal ones (0.0025, not 0.0025000000000000005).
pub(crate) struct Buckets {
    pub(crate) bounds: &'static [u64],
    pub(crate) per_unit: f64,
}

/// Seconds an application call takes, from 1 ms to 10 s.
pub(crate) const CALL_SECONDS: Buckets = Buckets {
    bounds: &[
        1_000_000,
        2_500_000,
        5_000_000,
        10_000_000,
        25_000_000,
        50_000_000,
        100_000_000,
        250_000_000,
        500_000_000,
        1_000_000_000,
        2_500_000_000,
        5_000_000_000,
        10_000_000_000,
    ],
    per_unit: 1e9,
};

/// Seconds one broadcast takes to reach every local subscriber's queue, from 10 µs to 1 s.
pub(crate) const FANOUT_SECONDS: Buckets = Buckets {
    bounds: &[
        10_000,
        25_000,
        50_000,
        100_000,
        250_000,
        500_000,
        1_000_000,
        2_500_000,
        5_000_000,
        10_000_000,
        25_000_000,
        50_000_000,
        100_000_000,
        250_000_000,
        1_000_000_000,
    ],
    per_unit: 1e9,
};

/// Frames waiting in a client's queue when it is written to, 1 to 1024 (the queue's length).
pub(crate) const QUEUE_DEPTH: Buckets = Buckets {
    bounds: &[1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    per_unit: 1.0,
};

/// One stripe: a count per bucket (not cumulative; the last is above every bound), the sum and
/// the count.
struct Cells {
    buckets: Box<[AtomicU64]>,
    sum: AtomicU64,
    count: AtomicU64,
}

pub(crate) struct Histogram {
    buckets: &'static Buckets,
    stripes: Box<[Padded<Cells>]>,
}

/// A histogram's figures: cumulative counts per upper bound (in the exposed unit), then the sum
/// and the count (the `+Inf` bucket).
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramSnapshot {
    pub buckets: Vec<(f64, u64)>,
    pub sum: f64,
    pub count: u64,
}

impl Histogram {
    pub(crate) fn new(buckets: &'static Buckets) -> Histogram {
        let stripes = (0..STRIPES)
            .map(|_| {
                Padded(Cells {
                    buckets: (0..=buckets.bounds.len())
                        .map(|_| AtomicU64::new(0))
                        .collect(),
                    sum: AtomicU64::new(0),
                    count: AtomicU64::new(0),
                })
            })
            .collect();
        Histogram { buckets, stripes }
    }

    /// Records `value`, in the unit of the bounds.
    pub(crate) fn observe(&self, value: u64) {
        let index = self.buckets.bounds.partition_point(|&bound| bound < value);
        let cells = &self.stripes[stripe()].0;
        cells.buckets[index].fetch_add(1, Ordering::Relaxed);
        cells.sum.fetch_add(value, Ordering::Relaxed);
        cells.count.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a duration, for histograms bounded in nanoseconds.
    pub(crate) fn observe_duration(&self, duration: Duration) {
        self.observe(u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX));
    }

    pub(crate) fn snapshot(&self) -> HistogramSnapshot {
        let load = |cell: &AtomicU64| cell.load(Ordering::Relaxed);
        let mut per_bucket = vec![0u64; self.buckets.bounds.len() + 1];
        let (mut sum, mut count) = (0u64, 0u64);
        for Padded(cells) in self.stripes.iter() {
            for (total, cell) in per_bucket.iter_mut().zip(cells.buckets.iter()) {
                *total = total.wrapping_add(load(cell));
            }
            sum = sum.wrapping_add(load(&cells.sum));
            count = count.wrapping_add(load(&cells.count));
        }
        let mut cumulative = 0u64;
        let buckets = self
            .buckets
            .bounds
            .iter()
            .zip(&per_bucket)
            .map(|(&bound, &n)| {
                cumulative = cumulative.wrapping_add(n);
                (bound as f64 / self.buckets.per_unit, cumulative)
            })
            .collect();
        // Read stripe by stripe while others observe, the count may trail the buckets by a few
        // observations; Prometheus needs the +Inf bucket (the count) to be the largest.
        let count = count.max(cumulative);
        HistogramSnapshot {
            buckets,
            sum: sum as f64 / self.buckets.per_unit,
            count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_inclusive_of_their_bound() {
        let histogram = Histogram::new(&QUEUE_DEPTH);
        for depth in [1, 2, 3, 4, 5, 2000] {
            histogram.observe(depth);
        }
        let snapshot = histogram.snapshot();
        assert_eq!(
            &snapshot.buckets[..4],
            &[(1.0, 1), (2.0, 2), (4.0, 4), (8.0, 5)]
        );
        assert_eq!(snapshot.buckets.last(), Some(&(1024.0, 5)));
        assert_eq!(snapshot.count, 6);
        assert_eq!(snapshot.sum, 2015.0);
    }

    #[test]
    fn durations_are_exposed_in_seconds() {
        let histogram = Histogram::new(&CALL_SECONDS);
        histogram.observe_duration(Duration::from_millis(3));
        histogram.observe_duration(Duration::from_secs(60));
        let snapshot = histogram.snapshot();
        assert_eq!(snapshot.buckets[0], (0.001, 0));
        assert_eq!(snapshot.buckets[1], (0.0025, 0));
        assert_eq!(snapshot.buckets[2], (0.005, 1));
        assert_eq!(snapshot.buckets.last(), Some(&(10.0, 1)));
        assert_eq!(snapshot.count, 2);
        assert!((snapshot.sum - 60.003).abs() < 1e-9);
    }
}
