//! A session's bounded outgoing queue: the hub pushes broadcast frames into it and the session
//! pushes its own replies and drains it to the socket. Neither owns the concept, so it lives here.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use crate::protocol::Frame;

/// A frame waiting in an outbox. A broadcast kept in history also says where it sits, so that the
/// session can hold it back while a history replay of its subscription is in flight and never
/// deliver an offset twice (16 bytes more per queued frame; an idle queue holds none).
#[derive(Clone)]
pub(crate) struct Queued {
    pub(crate) frame: Frame,
    /// `None` for transient frames (whispers, transient publications, no broker).
    pub(crate) position: Option<Arc<QueuedPosition>>,
}

/// Where a queued broadcast sits: shared by every subscriber of one (stream, identifier), so
/// fan-out clones a pointer per subscriber and allocates nothing.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct QueuedPosition {
    /// The subscription's identifier the frame was made for.
    pub(crate) identifier: Arc<str>,
    pub(crate) stream: Arc<str>,
    /// The epoch the offset belongs to (a new one restarts the offsets).
    pub(crate) epoch: Arc<str>,
    pub(crate) offset: u64,
}

impl From<Frame> for Queued {
    fn from(frame: Frame) -> Queued {
        Queued {
            frame,
            position: None,
        }
    }
}

/// The bounded queue of frames waiting to be written to one client. Pushing never blocks: when the
/// queue is full (in frames or in bytes) the client is flagged `too_slow` and its session
/// disconnects it, so a stalled reader costs a bounded amount of memory and never delays anyone
/// else.
///
/// Bytes are counted per client even though a broadcast frame is one allocation shared by every
/// subscriber: a queued frame is memory that this client keeps alive.
///
/// A plain deque rather than `tokio::sync::mpsc`: an idle connection's queue holds nothing (mpsc
/// allocates its first 32-slot block up front), and the space a burst used is given back once the
/// queue drains. See BENCHMARKS.md for what that bought per connection.
#[derive(Clone)]
pub(crate) struct Outbox {
    shared: Arc<Shared>,
    capacity: usize,
}

struct Shared {
    queue: Mutex<Queue>,
    /// The most bytes the queued frames may add up to (one larger frame still fits an empty queue).
    max_bytes: usize,
    /// Signalled when a frame is queued or the queue overflows.
    ready: Notify,
}

#[derive(Default)]
struct Queue {
    frames: VecDeque<Queued>,
    /// The queued frames' total length.
    bytes: usize,
    /// A push found the queue full: the client is too slow.
    overflowed: bool,
    /// The session is gone; pushes are refused.
    closed: bool,
}

/// The session's end of an [`Outbox`].
pub(crate) struct OutboxReceiver {
    shared: Arc<Shared>,
}

/// What [`OutboxReceiver::recv`] waited for.
pub(crate) enum Received {
    Frame(Queued),
    /// The queue overflowed: the client reads too slowly to keep.
    TooSlow,
}

/// A burst leaves at most this much room behind once drained.
const KEEP_ROOM: usize = 8;

impl Outbox {
    /// A queue of at most `capacity` frames and `max_bytes` bytes.
    pub(crate) fn new(capacity: usize, max_bytes: usize) -> (Outbox, OutboxReceiver) {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            max_bytes,
            ready: Notify::new(),
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
    pub(crate) fn push(&self, frame: impl Into<Queued>) -> bool {
        let frame = frame.into();
        {
            let mut queue = self.shared.queue.lock().expect("outbox lock");
            if queue.closed {
                return false;
            }
            // A frame over the byte bound still goes out alone, or it could never be delivered.
            let too_many_bytes =
                !queue.frames.is_empty() && queue.bytes + frame.frame.len() > self.shared.max_bytes;
            if queue.frames.len() >= self.capacity || too_many_bytes {
                let first_overflow = !queue.overflowed;
                queue.overflowed = true;
                drop(queue);
                if first_overflow {
                    self.shared.ready.notify_one();
                }
                return false;
            }
            queue.bytes += frame.frame.len();
            queue.frames.push_back(frame);
        }
        self.shared.ready.notify_one();
        true
    }

    /// Whether the queue has overflowed (for tests; the session learns it from `recv`).
    #[cfg(test)]
    pub(crate) fn is_too_slow(&self) -> bool {
        self.shared.queue.lock().expect("outbox lock").overflowed
    }
}

impl OutboxReceiver {
    /// The next frame, or `TooSlow` once the queue has overflowed (before any frame still queued).
    pub(crate) async fn recv(&mut self) -> Received {
        loop {
            {
                let mut queue = self.shared.queue.lock().expect("outbox lock");
                if queue.overflowed {
                    return Received::TooSlow;
                }
                if let Some(frame) = pop(&mut queue) {
                    return Received::Frame(frame);
                }
            }
            // notify_one keeps a permit when nobody waits, so a push between the check above and
            // this wait is not lost.
            self.shared.ready.notified().await;
        }
    }

    /// A queued frame, if any, without waiting.
    pub(crate) fn try_recv(&mut self) -> Option<Queued> {
        pop(&mut self.shared.queue.lock().expect("outbox lock"))
    }
}

/// The next frame; a drained queue gives back the room a burst took.
fn pop(queue: &mut Queue) -> Option<Queued> {
    let frame = queue.frames.pop_front();
    if let Some(queued) = &frame {
        queue.bytes -= queued.frame.len();
    }
    if queue.frames.is_empty() && queue.frames.capacity() > KEEP_ROOM {
        queue.frames = VecDeque::new();
    }
    frame
}

impl Drop for OutboxReceiver {
    fn drop(&mut self) {
        let mut queue = self.shared.queue.lock().expect("outbox lock");
        queue.closed = true;
        queue.frames = VecDeque::new();
        queue.bytes = 0;
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
        let (outbox, mut receiver) = Outbox::new(4, usize::MAX);
        let waiting = tokio::spawn(async move {
            let first = receiver.recv().await;
            (first, receiver)
        });
        tokio::task::yield_now().await;
        assert!(outbox.push(frame("a")));
        assert!(outbox.push(frame("b")));
        let (first, mut receiver) = waiting.await.unwrap();
        let Received::Frame(first) = first else {
            panic!("a frame, not an overflow");
        };
        assert_eq!(first.frame.as_str(), "a");
        assert_eq!(receiver.try_recv().unwrap().frame.as_str(), "b");
        assert!(receiver.try_recv().is_none());
    }

    #[tokio::test]
    async fn overflow_refuses_without_blocking_and_wakes_the_receiver_before_queued_frames() {
        let (outbox, mut receiver) = Outbox::new(2, usize::MAX);
        let waiting = tokio::spawn(async move {
            // Take the first frame, then wait while the queue refills and overflows.
            let first = receiver.recv().await;
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            (first, receiver.recv().await)
        });
        assert!(outbox.push(frame("0")));
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        assert!(outbox.push(frame("1")) && outbox.push(frame("2")));
        assert!(!outbox.push(frame("3")));
        assert!(outbox.is_too_slow());
        let (first, next) = tokio::time::timeout(std::time::Duration::from_secs(1), waiting)
            .await
            .expect("the receiver wakes")
            .unwrap();
        assert!(matches!(first, Received::Frame(_)));
        assert!(matches!(next, Received::TooSlow));
    }

    #[test]
    fn over_the_byte_bound_the_client_is_too_slow() {
        let (outbox, _receiver) = Outbox::new(1024, 10);
        assert!(outbox.push(frame("12345")) && outbox.push(frame("67890")));
        assert!(!outbox.push(frame("x")), "11 bytes > 10");
        assert!(outbox.is_too_slow());
    }

    #[test]
    fn frames_taken_give_their_bytes_back() {
        let (outbox, mut receiver) = Outbox::new(1024, 10);
        assert!(outbox.push(frame("1234567")));
        assert_eq!(receiver.try_recv().unwrap().frame.as_str(), "1234567");
        assert!(outbox.push(frame("1234567")) && outbox.push(frame("123")));
        assert!(!outbox.is_too_slow());
    }

    #[test]
    fn a_frame_over_the_byte_bound_goes_out_alone() {
        let big = "x".repeat(100);
        let (outbox, _receiver) = Outbox::new(1024, 10);
        assert!(outbox.push(frame(&big)), "an empty queue takes any frame");
        assert!(!outbox.push(frame("y")), "but nothing after it");
        assert!(outbox.is_too_slow());

        let (outbox, mut receiver) = Outbox::new(1024, 10);
        assert!(outbox.push(frame(&big)));
        assert_eq!(receiver.try_recv().unwrap().frame.len(), 100);
        assert!(
            outbox.push(frame(&big)),
            "taken, so the queue is empty again"
        );
        assert!(!outbox.is_too_slow());
    }

    #[test]
    fn a_queued_entry_is_a_frame_and_a_pointer() {
        // The position costs one pointer: `Option<Arc<_>>` uses the pointer's niche.
        assert_eq!(
            std::mem::size_of::<Queued>(),
            std::mem::size_of::<Frame>() + std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn a_closed_session_refuses_frames_and_a_drained_burst_gives_its_room_back() {
        let (outbox, mut receiver) = Outbox::new(1024, usize::MAX);
        for n in 0..100 {
            outbox.push(frame(&n.to_string()));
        }
        while receiver.try_recv().is_some() {}
        assert_eq!(receiver.shared.queue.lock().unwrap().frames.capacity(), 0);
        drop(receiver);
        assert!(!outbox.push(frame("late")));
    }
}
