//! The broker's clock-driven work: about once a second, expired history, idle streams, cached
//! sessions and lapsed presence are freed.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::{interval, MissedTickBehavior};

use crate::broker::{Broker, PresenceChange, PresenceLapse};
use crate::hub::Hub;
use crate::log::{log, Log};

/// How often the broker is swept: history ttls are whole seconds.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Sweeps `broker` until the task is aborted; lapsed presence is told to `hub`'s subscribers.
pub(super) async fn sweep(broker: Arc<dyn Broker>, hub: Arc<Hub>, log: Log) {
    let mut ticks = interval(SWEEP_EVERY);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match broker.sweep().await {
            // A broker that fans out told every node's subscribers already.
            Ok(_) if broker.fans_out() => {}
            Ok(lapses) => presence_lapsed(&hub, lapses),
            Err(error) => log!(log, Warn, "sweeping the broker failed", error = error),
        }
    }
}

/// Presence whose sessions stopped touching it (they disconnected `presenceTtl` ago and did not
/// come back): each is a transient `leave` to the stream's subscribers.
fn presence_lapsed(hub: &Hub, lapses: Vec<PresenceLapse>) {
    for PresenceLapse { stream, id } in lapses {
        hub.presence(&stream, &PresenceChange::Leave { id });
    }
}
