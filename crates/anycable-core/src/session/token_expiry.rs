//! `disconnectOnTokenExpiry`: a session identified by a token with an `exp` ends with
//! `token_expired` when the `exp` passes, so the JS client's `tokenRefresher` fetches a new token
//! and reconnects. Sessions without an `exp`, anonymous ones and those the application identified
//! never expire.

use std::pin::Pin;
use std::time::SystemTime;

use tokio::time::{sleep_until, Instant, Sleep};

/// A timer that completes when a token expiring at `expires_at` expires (at once if it already
/// has); `None` when that is too far ahead for the monotonic clock, which in practice is never.
pub(super) fn expiry_timer(expires_at: SystemTime) -> Option<Pin<Box<Sleep>>> {
    // A clock behind `expires_at` leaves the rest of the token's life; an `Err` means it has passed.
    let left = expires_at
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    let at = Instant::now().checked_add(left)?;
    Some(Box::pin(sleep_until(at)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::time::timeout;

    #[tokio::test(start_paused = true)]
    async fn completes_when_the_token_expires() {
        let started = Instant::now();
        let timer = expiry_timer(SystemTime::now() + Duration::from_secs(60)).unwrap();
        timer.await;
        let waited = started.elapsed();
        assert!(
            waited > Duration::from_secs(59) && waited <= Duration::from_secs(60),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_expired_token_expires_at_once() {
        let timer = expiry_timer(SystemTime::now() - Duration::from_secs(1)).unwrap();
        assert!(timeout(Duration::from_millis(1), timer).await.is_ok());
    }
}
