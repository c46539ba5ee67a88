//! Puts `listen()` and `close()` in call order: each waits for the one called before it, so
//! `p = listen(); await close()` closes what `p` opened, and a `listen()` after `close()` starts
//! afresh. (The native calls run on a thread pool, where their order is otherwise up to chance.)

use std::sync::Mutex;

use tokio::sync::oneshot;

/// The chain of lifecycle calls.
#[derive(Default)]
pub struct Lifecycle {
    /// Resolves when the most recent call has finished.
    last: Mutex<Option<oneshot::Receiver<()>>>,
}

/// A call's place in the chain, taken synchronously when JS makes the call.
pub struct Turn {
    previous: Option<oneshot::Receiver<()>>,
    /// Dropped when the call finishes (however it ends), which lets the next one go.
    done: oneshot::Sender<()>,
}

impl Lifecycle {
    /// Joins the chain; must be called before the call's future is spawned.
    pub fn turn(&self) -> Turn {
        let (done, finished) = oneshot::channel();
        let previous = self.last.lock().expect("lifecycle lock").replace(finished);
        Turn { previous, done }
    }
}

impl Turn {
    /// Waits for every earlier call to finish; keep the result until this call is done.
    pub async fn wait(self) -> oneshot::Sender<()> {
        if let Some(previous) = self.previous {
            // An error only means the earlier call's future was dropped: it is over all the same.
            let _ = previous.await;
        }
        self.done
    }
}
