use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, Notify};

use crate::protocol::Frame;

/// The bounded queue of frames waiting to be written to one client. Pushing never blocks: when the
/// queue is full the client is flagged `too_slow` and its session disconnects it, so a stalled
/// reader costs a bounded amount of memory and never delays anyone else.
#[derive(Clone)]
pub struct Outbox {
    frames: mpsc::Sender<Frame>,
    overflow: Arc<Overflow>,
}

#[derive(Default)]
struct Overflow {
    flagged: AtomicBool,
    notify: Notify,
}

/// The session's end of an [`Outbox`].
pub struct OutboxReceiver {
    frames: mpsc::Receiver<Frame>,
    overflow: Arc<Overflow>,
}

impl Outbox {
    pub fn new(capacity: usize) -> (Outbox, OutboxReceiver) {
        let (frames, receiver) = mpsc::channel(capacity);
        let overflow = Arc::new(Overflow::default());
        (
            Outbox {
                frames,
                overflow: Arc::clone(&overflow),
            },
            OutboxReceiver {
                frames: receiver,
                overflow,
            },
        )
    }

    /// Queues `frame`; false if the queue was full (the client is flagged) or the session is gone.
    pub fn push(&self, frame: Frame) -> bool {
        match self.frames.try_send(frame) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                if !self.overflow.flagged.swap(true, Ordering::Relaxed) {
                    self.overflow.notify.notify_one();
                }
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    pub fn is_too_slow(&self) -> bool {
        self.overflow.flagged.load(Ordering::Relaxed)
    }
}

impl OutboxReceiver {
    pub async fn recv(&mut self) -> Option<Frame> {
        self.frames.recv().await
    }

    pub fn try_recv(&mut self) -> Result<Frame, mpsc::error::TryRecvError> {
        self.frames.try_recv()
    }

    /// A handle that resolves once the outbox overflows, usable while frames are being received.
    pub fn overflow_signal(&self) -> OverflowSignal {
        OverflowSignal(Arc::clone(&self.overflow))
    }
}

/// See [`OutboxReceiver::overflow_signal`].
pub struct OverflowSignal(Arc<Overflow>);

impl OverflowSignal {
    pub async fn wait(&self) {
        if !self.0.flagged.load(Ordering::Relaxed) {
            self.0.notify.notified().await;
        }
    }
}
