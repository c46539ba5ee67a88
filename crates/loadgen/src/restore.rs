//! The restore avalanche: N clients connect and subscribe (a fresh avalanche), all drop at once,
//! and all reconnect at once with `?sid=<their previous sid>`. Compares the time until every
//! client got `confirm_subscription` with the time until every one got a welcome with
//! `"restored":true`. One broadcast afterwards checks that the restored subscriptions deliver.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use anycable_core::broadcast_key;

use crate::client::{self, Target};
use crate::{avalanche, publisher, receipts, Args};

pub async fn run(args: &Args, target: &Arc<Target>) -> Value {
    let fresh = avalanche::run(args.clients, args.concurrency, |n| {
        let target = Arc::clone(target);
        let source = args.source_for(n);
        async move { client::connect(&target, source).await }
    })
    .await;
    let (connect_ms, connect_all_ms) = avalanche::timings(&fresh.finished);
    let connected = fresh.finished.len();
    tokio::time::sleep(Duration::from_secs(1)).await;

    // Keeping only the sids drops every socket at once, as in a network outage: no close frame.
    let sids: Vec<Option<String>> = fresh.finished.into_iter().map(|f| f.value.sid).collect();
    tokio::time::sleep(Duration::from_millis(args.restore_after_ms)).await;

    let sids = Arc::new(sids);
    let again = avalanche::run(sids.len(), args.concurrency, |n| {
        let target = Arc::clone(target);
        let sids = Arc::clone(&sids);
        let source = args.source_for(n);
        async move {
            let sid = sids[n].as_deref().ok_or("the welcome carried no sid")?;
            client::restore(&target, source, sid).await
        }
    })
    .await;
    let (restored, not_restored): (Vec<_>, Vec<_>) =
        again.finished.iter().partition(|f| f.value.restored);
    let (restore_ms, restore_all_ms) = avalanche::timings(restored.iter().copied());
    let (welcome_ms, _) = avalanche::timings(not_restored.iter().copied());
    let restored_count = restored.len();
    let not_restored_count = not_restored.len();

    let restored_clients = again
        .finished
        .into_iter()
        .filter(|f| f.value.restored)
        .map(|f| f.value.ws)
        .collect();
    let receipts = receipts::listen_all(restored_clients);
    let key = broadcast_key(args.secret.as_bytes());
    // One broadcast; the 1 s pause after it is the time the clients get to receive it.
    publisher::send(&args.broadcast_url, &key, 1, Duration::from_secs(1)).await;
    let delivered_after_restore = receipts.collect().arrival.len();

    json!({
        "clients": args.clients,
        "connected": connected,
        "connect_failures": fresh.failures,
        "connect_ms": connect_ms,
        "connect_all_ms": connect_all_ms,
        "restore_after_ms": args.restore_after_ms,
        "restored": restored_count,
        "not_restored": not_restored_count,
        "restore_failures": again.failures,
        "restore_ms": restore_ms,
        "restore_all_ms": restore_all_ms,
        "not_restored_welcome_ms": welcome_ms,
        "delivered_after_restore": delivered_after_restore,
    })
}
