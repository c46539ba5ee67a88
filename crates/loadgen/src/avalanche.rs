//! Many clients doing the same handshake at once, bounded by a number in flight; each timed.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{json, Value};
use tokio::sync::Semaphore;

use crate::stats::Summary;

/// One handshake that succeeded.
pub struct Finished<T> {
    pub value: T,
    /// From its start (a free slot) to its end.
    pub ms: f64,
    /// From the avalanche's start to its end.
    pub at_ms: f64,
}

pub struct Outcome<T> {
    pub finished: Vec<Finished<T>>,
    pub failures: usize,
}

/// Runs `handshake(n)` for n in 0..count, at most `concurrency` at once.
pub async fn run<T, F, Fut>(count: usize, concurrency: usize, handshake: F) -> Outcome<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<T, String>> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(concurrency));
    let began = Instant::now();
    let tasks: Vec<_> = (0..count)
        .map(|n| {
            let permits = Arc::clone(&permits);
            let attempt = handshake(n);
            tokio::spawn(async move {
                let _permit = permits.acquire_owned().await.expect("open semaphore");
                let started = Instant::now();
                let value = attempt.await?;
                Ok::<_, String>(Finished {
                    value,
                    ms: started.elapsed().as_secs_f64() * 1000.0,
                    at_ms: began.elapsed().as_secs_f64() * 1000.0,
                })
            })
        })
        .collect();
    let mut outcome = Outcome {
        finished: Vec::with_capacity(count),
        failures: 0,
    };
    for task in tasks {
        match task.await {
            Ok(Ok(finished)) => outcome.finished.push(finished),
            _ => outcome.failures += 1,
        }
    }
    outcome
}

/// Per-handshake percentiles and the time until the last of `finished` was done (ms).
pub fn timings<'a, T: 'a>(finished: impl IntoIterator<Item = &'a Finished<T>>) -> (Value, Value) {
    let (samples, ends): (Vec<f64>, Vec<f64>) =
        finished.into_iter().map(|f| (f.ms, f.at_ms)).unzip();
    let all = ends.into_iter().reduce(f64::max);
    (json!(Summary::of(&samples)), json!(all))
}
