//! The broker's clock-driven work: about once a second, expired history, idle streams, cached
//! sessions and lapsed presence are freed.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::{interval, MissedTickBehavior};

use crate::broker::{Broker, PresenceLapse};

/// How often the broker is swept: history ttls are whole seconds.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Sweeps `broker` until the task is aborted.
pub(super) async fn sweep(broker: Arc<dyn Broker>) {
    let mut ticks = interval(SWEEP_EVERY);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match broker.sweep().await {
            Ok(lapses) => presence_lapsed(lapses),
            Err(error) => eprintln!("anycable-rs: sweeping the broker failed: {error}"),
        }
    }
}

/// Presence whose sessions stopped touching it (they disconnected `presenceTtl` ago and did not
/// come back). This is the place to broadcast each lapse as a transient `leave` presence event to
/// the stream's subscribers; until presence is served, there is no one to tell.
fn presence_lapsed(lapses: Vec<PresenceLapse>) {
    drop(lapses);
}
