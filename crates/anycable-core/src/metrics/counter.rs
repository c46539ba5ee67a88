//! A monotonic counter, striped (see [`stripes`](super::stripes)) so that adding is a relaxed
//! add to a line no other thread writes.

use std::sync::atomic::{AtomicU64, Ordering};

use super::stripes::{stripe, Padded, STRIPES};

/// A Prometheus counter.
#[derive(Default)]
pub(crate) struct Counter {
    stripes: [Padded<AtomicU64>; STRIPES],
}

impl Counter {
    pub(crate) fn add(&self, amount: u64) {
        self.stripes[stripe()]
            .0
            .fetch_add(amount, Ordering::Relaxed);
    }

    pub(crate) fn inc(&self) {
        self.add(1);
    }

    pub(crate) fn get(&self) -> u64 {
        self.stripes
            .iter()
            .map(|cell| cell.0.load(Ordering::Relaxed))
            .fold(0, u64::wrapping_add)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn adds_from_every_thread_are_summed() {
        let counter = Arc::new(Counter::default());
        let threads: Vec<_> = (0..12)
            .map(|_| {
                let counter = Arc::clone(&counter);
                std::thread::spawn(move || (0..1000).for_each(|_| counter.inc()))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        counter.add(5);
        assert_eq!(counter.get(), 12_005);
    }
}
