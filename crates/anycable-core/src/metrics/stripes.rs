//! Striping: a hot counter is kept as one cell per stripe, each on its own cache line, and a
//! thread always adds to the same stripe. Sessions on different worker threads then never write
//! the same line (one shared atomic would bounce between cores on every fan-out); a read sums
//! the stripes.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Stripes per value: more than the worker threads of a small machine, few enough that reading
/// every stripe at a scrape is nothing.
pub(super) const STRIPES: usize = 8;

/// A value alone on its cache line (128 bytes: adjacent-line prefetching pairs 64-byte lines).
#[derive(Default)]
#[repr(align(128))]
pub(super) struct Padded<T>(pub(super) T);

static NEXT_STRIPE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's stripe, handed out round-robin as threads first count something.
    static STRIPE: usize = NEXT_STRIPE.fetch_add(1, Ordering::Relaxed) % STRIPES;
}

/// The stripe the current thread writes to.
pub(super) fn stripe() -> usize {
    STRIPE.with(|stripe| *stripe)
}
