//! The accept loop: hands each connection to its own task, and keeps serving when `accept`
//! fails for lack of descriptors (or memory) instead of locking every client out.

use std::io::ErrorKind;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::time::Instant;

use super::{serve_connection, Shared};
use crate::log::log;

/// Pause after a failure that closed an unfinished connection: just long enough for its task
/// to drop the socket and free the descriptor.
const RETRY_AFTER_EVICTION: Duration = Duration::from_millis(1);
/// Pause when nothing could be closed: descriptors come back only as sessions end.
const RETRY_WHEN_FULL: Duration = Duration::from_millis(50);
/// Failures closer together than this are one burst, logged once.
const BURST_GAP: Duration = Duration::from_secs(5);

pub(super) async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    let mut last_failure: Option<Instant> = None;
    loop {
        let error = match listener.accept().await {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                // Registered here, in accept order, so "oldest" means first accepted.
                let pending = shared.pending.register();
                tokio::spawn(serve_connection(stream, pending, Arc::clone(&shared)));
                continue;
            }
            Err(error) => error,
        };
        // A client that gave up while queued says nothing about the server's resources.
        if matches!(
            error.kind(),
            ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::Interrupted
        ) {
            continue;
        }
        let now = Instant::now();
        if last_failure.is_none_or(|last| now - last > BURST_GAP) {
            log!(
                shared.settings.log,
                Error,
                "cannot accept connections; closing the oldest unfinished ones to make room",
                error = error,
            );
        }
        last_failure = Some(now);
        let pause = if shared.pending.evict_oldest() {
            RETRY_AFTER_EVICTION
        } else {
            RETRY_WHEN_FULL
        };
        tokio::time::sleep(pause).await;
    }
}
