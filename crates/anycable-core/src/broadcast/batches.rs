//! Registration with a broker that [fans out](Broker::fans_out) (Redis): consecutive
//! publications go in one call (up to the batch limits), each confirmed batch in calls of its own;
//! calls run one after another, so a node keeps its order. Success delivers nothing here: the
//! broker's channel brings every publication back to every node, this one included.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::registrar::{deliver, Job};
use super::Publication;
use crate::broker::{Broker, BrokerError, EntryAck, Registered, Registration};
use crate::hub::Hub;
use crate::redis_link::RedisHealth;

/// At most this many publications in one call to a fanning-out broker…
const BATCH_PUBLICATIONS: usize = 128;
/// …and no more added once their data is this long.
const BATCH_BYTES: usize = 1024 * 1024;

/// Registers what is queued until every sender is gone: runs of `Publish` jobs in one call each,
/// each `Batch` job in calls of its own.
pub(super) async fn register_in_batches(
    mut queued: mpsc::Receiver<Job>,
    hub: Arc<Hub>,
    broker: Arc<dyn Broker>,
    health: Option<Arc<RedisHealth>>,
) {
    let mut jobs = Vec::with_capacity(BATCH_PUBLICATIONS);
    let mut run: Vec<Publication> = Vec::with_capacity(BATCH_PUBLICATIONS);
    loop {
        if queued.recv_many(&mut jobs, BATCH_PUBLICATIONS).await == 0 {
            return;
        }
        let mut run_bytes = 0;
        for job in jobs.drain(..) {
            match job {
                Job::Publish(publication) => {
                    run_bytes += publication.message.get().len();
                    run.push(publication);
                    if run_bytes >= BATCH_BYTES {
                        publish_run(&mut run, &hub, &*broker, health.as_deref()).await;
                        run_bytes = 0;
                    }
                }
                Job::Batch { batch, ack, done } => {
                    publish_run(&mut run, &hub, &*broker, health.as_deref()).await;
                    run_bytes = 0;
                    let _ = done.send(register_all(&*broker, &batch, ack.as_ref()).await);
                }
            }
        }
        publish_run(&mut run, &hub, &*broker, health.as_deref()).await;
    }
}

/// Registers a run of `Publish` jobs in one call; when that fails, delivers them here without a
/// position and counts them as dropped (they reached no other node).
async fn publish_run(
    run: &mut Vec<Publication>,
    hub: &Hub,
    broker: &dyn Broker,
    health: Option<&RedisHealth>,
) {
    if run.is_empty() {
        return;
    }
    if broker
        .register_batch(&registrations(run), None)
        .await
        .is_err()
    {
        for publication in run.iter() {
            deliver(hub, publication, None);
        }
        if let Some(health) = health {
            health.count_dropped(run.len());
        }
    }
    run.clear();
}

/// Registers a whole batch: in one call with an `ack` (it must be atomic with the registration),
/// otherwise in calls within the batch limits; the first failure ends it.
async fn register_all(
    broker: &dyn Broker,
    batch: &[Publication],
    ack: Option<&EntryAck>,
) -> Result<Registered, BrokerError> {
    if ack.is_some() {
        return broker.register_batch(&registrations(batch), ack).await;
    }
    let mut positions = Vec::with_capacity(batch.len());
    for chunk in chunks(batch) {
        match broker.register_batch(&registrations(chunk), None).await? {
            Registered::Positions(chunk_positions) => positions.extend(chunk_positions),
            Registered::AlreadyAcked => return Ok(Registered::AlreadyAcked),
        }
    }
    Ok(Registered::Positions(positions))
}

/// `batch` cut into pieces within the batch limits.
fn chunks(batch: &[Publication]) -> impl Iterator<Item = &[Publication]> {
    let mut rest = batch;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut bytes = 0;
        let mut end = 0;
        while end < rest.len() && end < BATCH_PUBLICATIONS && bytes < BATCH_BYTES {
            bytes += rest[end].message.get().len();
            end += 1;
        }
        let (chunk, after) = rest.split_at(end);
        rest = after;
        Some(chunk)
    })
}

fn registrations(batch: &[Publication]) -> Vec<Registration<'_>> {
    batch
        .iter()
        .map(|publication| Registration {
            stream: &publication.stream,
            data: Arc::from(publication.message.get()),
            exclude_socket: publication.exclude_socket.as_deref(),
            transient: publication.transient,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;
    use crate::broadcast::testing::{publication, subscribed, FakeFanout};
    use crate::broadcast::LocalDelivery;
    use crate::log::Log;
    use crate::redis_link::Link;

    fn fanning_out(fake: &Arc<FakeFanout>, hub: &Arc<Hub>) -> (LocalDelivery, Arc<RedisHealth>) {
        let health = Arc::new(RedisHealth::new(&[Link::BrokerCommands], Log::stderr()));
        let broker: Arc<dyn Broker> = Arc::clone(fake) as Arc<dyn Broker>;
        let local = LocalDelivery::new(
            Arc::clone(hub),
            Some(broker),
            Some(Arc::clone(&health)),
            Log::stderr(),
        );
        (local, health)
    }

    async fn until(mut done: impl FnMut() -> bool) {
        tokio::time::timeout(std::time::Duration::from_secs(5), async {
            while !done() {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("in time");
    }

    #[tokio::test]
    async fn a_fanning_out_broker_gets_queued_publications_in_order_in_batches_and_nothing_is_delivered_here(
    ) {
        let hub = Arc::new(Hub::default());
        let mut receiver = subscribed(&hub, "s");
        let fake = Arc::new(FakeFanout::default());
        let (local, _health) = fanning_out(&fake, &hub);
        // Queued before the registration task first runs (current-thread runtime): batching shows.
        for n in 0..300 {
            local.deliver(publication("s", n, n % 10 == 0)).unwrap();
        }
        until(|| fake.got().len() == 300).await;
        let got = fake.got();
        assert_eq!(
            got.iter().map(|g| g.data.as_str()).collect::<Vec<_>>(),
            (0..300).map(|n| n.to_string()).collect::<Vec<_>>()
        );
        // Transient ones go through the broker too, in their place, marked as such.
        assert!(got
            .iter()
            .enumerate()
            .all(|(n, g)| g.transient == (n % 10 == 0)));
        let calls = fake.calls.lock().unwrap().len();
        assert!((3..=5).contains(&calls), "{calls} calls");
        assert!(receiver.try_recv().is_none());
    }

    #[tokio::test]
    async fn while_the_broker_is_down_publications_go_out_here_without_a_position_and_are_counted()
    {
        let hub = Arc::new(Hub::default());
        let mut receiver = subscribed(&hub, "s");
        let fake = Arc::new(FakeFanout::default());
        fake.down.store(true, Ordering::SeqCst);
        let (local, health) = fanning_out(&fake, &hub);
        for n in 0..3 {
            local.deliver(publication("s", n, false)).unwrap();
        }
        until(|| health.stats().dropped == 3).await;
        for _ in 0..3 {
            assert!(receiver
                .try_recv()
                .expect("delivered here")
                .position
                .is_none());
        }
    }

    #[tokio::test]
    async fn a_confirmed_batch_reports_failure_delivers_nothing_and_is_split_within_the_limits() {
        let hub = Arc::new(Hub::default());
        let mut receiver = subscribed(&hub, "s");
        let fake = Arc::new(FakeFanout::default());
        let (local, health) = fanning_out(&fake, &hub);
        fake.down.store(true, Ordering::SeqCst);
        let refused = local
            .deliver_confirmed(vec![publication("s", 1, false)], None)
            .await;
        assert_eq!(refused, Err(BrokerError::Unavailable));
        assert!(receiver.try_recv().is_none());
        // Refusals are counted by the caller (HTTP), not as drops.
        assert_eq!(health.stats().dropped, 0);

        fake.down.store(false, Ordering::SeqCst);
        let batch: Vec<_> = (0..300).map(|n| publication("s", n, false)).collect();
        let Ok(Registered::Positions(positions)) = local.deliver_confirmed(batch, None).await
        else {
            panic!("registered");
        };
        assert_eq!(positions.len(), 300);
        let sizes: Vec<usize> = fake.calls.lock().unwrap().iter().map(Vec::len).collect();
        assert_eq!(sizes, [128, 128, 44]);
        assert!(receiver.try_recv().is_none());
    }

    #[test]
    fn batches_are_cut_at_the_byte_limit_too() {
        let big = "x".repeat(BATCH_BYTES / 2);
        let batch: Vec<_> = (0..5)
            .map(|_| Publication::new("s", format!("\"{big}\"")).unwrap())
            .collect();
        let sizes: Vec<usize> = chunks(&batch).map(<[Publication]>::len).collect();
        assert_eq!(sizes, [2, 2, 1]);
    }
}
