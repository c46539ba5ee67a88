use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use crate::protocol::Frame;

/// The bounded queue of frames waiting to be written to one client. Pushing never blocks: when the
/// queue is full the client is flagged `too_slow` and its session disconnects it, so a stalled
/// reader costs a bounded amount of memory and never delays anyone else.
///
/// A plain deque rather than `tokio::sync::mpsc`: an idle connection's queue holds nothing (mpsc
/// allocates its first 32-slot block up front), and the space a burst used is given back once the
/// queue drains. See BENCHMARKS.md for what that bought per connection.
#[derive(Clone)]
pub struct Outbox {
    shared: Arc<Shared>,
    capacity: usize,
}

struct Shared {
    queue: Mutex<Queue>,
    /// Signalled when a frame is queued.
    ready: Notify,
    overflowed: AtomicBool,
    /// Signalled once, when the queue overflows.
    overflow: Notify,
}

#[derive(Default)]
struct Queue {
    frames: VecDeque<Frame>,
    /// The session is gone; pushes are refused.
    closed: bool,
}

/// The session's end of an [`Outbox`].
pub struct OutboxReceiver {
    shared: Arc<Shared>,
}

/// A burst leaves at most this much room behind once drained.
const KEEP_ROOM: usize = 8;

impl Outbox {
    pub fn new(capacity: usize) -> (Outbox, OutboxReceiver) {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            ready: Notify::new(),
            overflowed: AtomicBool::new(false),
            overflow: Notify::new(),
        });
        (
            Outbox {
                shared: Arc::clone(&shared),
                capacity,
            },
            OutboxReceiver { shared },
        )
    }

    /// Queues `frame`; false if the queue was full (the client is flagged) or the session is gone.
    pub fn push(&self, frame: Frame) -> bool {
        {
            let mut queue = self.shared.queue.lock().expect("outbox lock");
            if queue.closed {
                return false;
            }
            if queue.frames.len() >= self.capacity {
                drop(queue);
                if !self.shared.overflowed.swap(true, Ordering::Relaxed) {
                    self.shared.overflow.notify_one();
                }
                return false;
            }
            queue.frames.push_back(frame);
        }
        self.shared.ready.notify_one();
        true
    }

    pub fn is_too_slow(&self) -> bool {
        self.shared.overflowed.load(Ordering::Relaxed)
    }
}

impl OutboxReceiver {
    /// The next frame, waiting for one if the queue is empty.
    pub async fn recv(&mut self) -> Frame {
        loop {
            if let Some(frame) = self.try_recv() {
                return frame;
            }
            // notify_one keeps a permit when nobody waits, so a push between the check above and
            // this wait is not lost.
            self.shared.ready.notified().await;
        }
    }

    pub fn try_recv(&mut self) -> Option<Frame> {
        let mut queue = self.shared.queue.lock().expect("outbox lock");
        let frame = queue.frames.pop_front();
        if queue.frames.is_empty() && queue.frames.capacity() > KEEP_ROOM {
            queue.frames = VecDeque::new();
        }
        frame
    }

    /// A handle that resolves once the outbox overflows, usable while frames are being received.
    pub fn overflow_signal(&self) -> OverflowSignal {
        OverflowSignal(Arc::clone(&self.shared))
    }
}

impl Drop for OutboxReceiver {
    fn drop(&mut self) {
        let mut queue = self.shared.queue.lock().expect("outbox lock");
        queue.closed = true;
        queue.frames = VecDeque::new();
    }
}

/// See [`OutboxReceiver::overflow_signal`].
pub struct OverflowSignal(Arc<Shared>);

impl OverflowSignal {
    pub async fn wait(&self) {
        if !self.0.overflowed.load(Ordering::Relaxed) {
            self.0.overflow.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(text: &str) -> Frame {
        Frame::from(text.to_owned())
    }

    #[tokio::test]
    async fn frames_come_out_in_order_and_a_waiting_receiver_wakes() {
        let (outbox, mut receiver) = Outbox::new(4);
        let waiting = tokio::spawn(async move {
            let first = receiver.recv().await;
            (first, receiver)
        });
        tokio::task::yield_now().await;
        assert!(outbox.push(frame("a")));
        assert!(outbox.push(frame("b")));
        let (first, mut receiver) = waiting.await.unwrap();
        assert_eq!(first.as_str(), "a");
        assert_eq!(receiver.try_recv().unwrap().as_str(), "b");
        assert!(receiver.try_recv().is_none());
    }

    #[tokio::test]
    async fn overflow_flags_once_and_refuses_without_blocking() {
        let (outbox, receiver) = Outbox::new(2);
        assert!(outbox.push(frame("1")) && outbox.push(frame("2")));
        assert!(!outbox.push(frame("3")));
        assert!(outbox.is_too_slow());
        tokio::time::timeout(
            std::time::Duration::from_secs(1),
            receiver.overflow_signal().wait(),
        )
        .await
        .expect("the signal fires");
    }

    #[test]
    fn a_closed_session_refuses_frames_and_a_drained_burst_gives_its_room_back() {
        let (outbox, mut receiver) = Outbox::new(1024);
        for n in 0..100 {
            outbox.push(frame(&n.to_string()));
        }
        while receiver.try_recv().is_some() {}
        assert_eq!(receiver.shared.queue.lock().unwrap().frames.capacity(), 0);
        drop(receiver);
        assert!(!outbox.push(frame("late")));
    }
}
