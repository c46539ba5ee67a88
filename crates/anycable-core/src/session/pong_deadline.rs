//! `pongTimeout`, for extended-protocol sessions: once pinged, a client has the timeout to send
//! something — a pong, any command, any frame — or it is disconnected with `no_pong`. As in
//! AnyCable, the clock starts at the first ping the client has not answered, and anything it sends
//! stops the clock; a client that talks between pings owes nothing until the next one.

use std::pin::Pin;
use std::time::Duration;

use tokio::time::{sleep, Instant, Sleep};

/// The no-pong clock of one session.
pub(super) struct PongDeadline {
    timeout: Duration,
    /// Set to the first unanswered ping plus the timeout; it counts only while `owed`.
    timer: Pin<Box<Sleep>>,
    /// A ping went out and nothing came back since.
    owed: bool,
}

impl PongDeadline {
    pub(super) fn new(timeout: Duration) -> PongDeadline {
        PongDeadline {
            timeout,
            timer: Box::pin(sleep(timeout)),
            owed: false,
        }
    }

    /// A ping went out: the clock starts, unless it already runs for an earlier ping.
    pub(super) fn pinged(&mut self) {
        if !self.owed {
            self.timer.as_mut().reset(Instant::now() + self.timeout);
            self.owed = true;
        }
    }

    /// The client sent something, so it is alive.
    pub(super) fn heard(&mut self) {
        self.owed = false;
    }

    /// Completes when the client has stayed silent for the timeout after a ping; never while
    /// nothing is owed.
    pub(super) async fn passed(&mut self) {
        if self.owed {
            self.timer.as_mut().await;
        } else {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::{advance, timeout};

    const TIMEOUT: Duration = Duration::from_secs(5);

    /// Whether the deadline passes within `within` (of paused, auto-advancing time).
    async fn passes_within(deadline: &mut PongDeadline, within: Duration) -> bool {
        timeout(within, deadline.passed()).await.is_ok()
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_is_owed_before_the_first_ping() {
        let mut deadline = PongDeadline::new(TIMEOUT);
        assert!(!passes_within(&mut deadline, TIMEOUT * 10).await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_client_is_given_the_timeout_after_a_ping() {
        let mut deadline = PongDeadline::new(TIMEOUT);
        deadline.pinged();
        assert!(!passes_within(&mut deadline, TIMEOUT - Duration::from_millis(1)).await);
        assert!(passes_within(&mut deadline, Duration::from_millis(2)).await);
    }

    #[tokio::test(start_paused = true)]
    async fn later_pings_do_not_move_the_deadline_of_the_first_unanswered_one() {
        let mut deadline = PongDeadline::new(TIMEOUT);
        deadline.pinged();
        advance(Duration::from_secs(3)).await;
        deadline.pinged();
        assert!(passes_within(&mut deadline, Duration::from_secs(2)).await);
    }

    #[tokio::test(start_paused = true)]
    async fn anything_heard_stops_the_clock_until_the_next_ping() {
        let mut deadline = PongDeadline::new(TIMEOUT);
        deadline.pinged();
        advance(Duration::from_secs(4)).await;
        deadline.heard();
        assert!(!passes_within(&mut deadline, TIMEOUT * 2).await);
        deadline.pinged();
        assert!(!passes_within(&mut deadline, TIMEOUT - Duration::from_millis(1)).await);
        assert!(passes_within(&mut deadline, Duration::from_millis(2)).await);
    }
}
