//! A session's outgoing path: the bounded queue the hub pushes broadcast frames into, and the
//! client's socket they are written to. While the session waits with nothing queued, a pushed
//! frame goes straight to the socket from the pushing thread, with no task woken; otherwise it
//! queues for the session to write in order. Neither the hub nor the session owns the concept,
//! so it lives here.

mod socket;
mod wire;
mod wire_frame;

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

use crate::protocol::Frame;
use socket::write_or_keep;

pub(crate) use socket::RawSocket;
pub(crate) use wire::Wire;
pub(crate) use wire_frame::WireFrame;

/// A frame waiting in an outbox. A broadcast kept in history also says where it sits, so that the
/// session can hold it back while a history replay of its subscription is in flight and never
/// deliver an offset twice (16 bytes more per queued frame; an idle queue holds none).
#[derive(Clone)]
pub(crate) struct Queued {
    pub(crate) frame: WireFrame,
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
            frame: WireFrame::from(frame),
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
///
/// Writing straight to the socket saves the wake-up, the scheduling and the poll of one session
/// task per subscriber and broadcast: most of the CPU a fan-out spent outside the kernel
/// (BENCHMARKS.md, issue 19).
#[derive(Clone)]
pub(crate) struct Outbox {
    shared: Arc<Shared>,
    capacity: usize,
}

struct Shared {
    queue: Mutex<Queue>,
    /// The most bytes the queued frames may add up to (one larger frame still fits an empty queue).
    max_bytes: usize,
    /// The client's socket (`None` for a queue alone, in unit tests). Every byte written to it
    /// goes through the queue's lock, so frames from different threads stay whole and in order.
    socket: Option<Box<dyn RawSocket>>,
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
    /// A pushed frame may be written straight to the socket: the session waits with nothing of
    /// its own to write and nothing to examine (no history replay in flight). Cleared the
    /// moment it takes a frame or acts, so nothing overtakes what it writes.
    direct: bool,
    /// What the socket did not take of the frames written last: written before anything else.
    unsent: Vec<u8>,
    /// The session's task while it waits in [`OutboxReceiver::recv`]; woken when a frame is
    /// queued, bytes are left unsent, or the queue overflows.
    waiting: Option<Waker>,
}

/// The session's end of an [`Outbox`].
pub(crate) struct OutboxReceiver {
    shared: Arc<Shared>,
}

/// What [`OutboxReceiver::recv`] waited for.
pub(crate) enum Received {
    /// Frames are queued, or bytes wait to be written: the session writes them
    /// ([`OutboxReceiver::try_recv`], then [`Wire::flush`]).
    Write,
    /// The queue overflowed: the client reads too slowly to keep.
    TooSlow,
}

/// What became of a pushed frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// Written to the socket (what it did not take waits to be written, ahead of anything else).
    Written,
    Queued,
    /// The queue was full (the client is flagged) or the session is gone.
    Refused,
}

#[cfg(test)]
impl Pushed {
    /// Whether the client gets the frame (written or queued).
    pub(crate) fn taken(self) -> bool {
        self != Pushed::Refused
    }
}

/// A burst leaves at most this much room behind once drained.
const KEEP_ROOM: usize = 8;

impl Outbox {
    /// A queue of at most `capacity` frames and `max_bytes` bytes, with no socket.
    #[cfg(test)]
    pub(crate) fn new(capacity: usize, max_bytes: usize) -> (Outbox, OutboxReceiver) {
        Outbox::with_socket(capacity, max_bytes, None)
    }

    /// The outgoing path to `socket`: the hub's end, the session's, and the stream tungstenite
    /// reads the client from (and writes its control frames to), holding the bytes read past the
    /// upgrade (`read_ahead`).
    pub(crate) fn on_socket(
        capacity: usize,
        max_bytes: usize,
        socket: Box<dyn RawSocket>,
        read_ahead: bytes::Bytes,
    ) -> (Outbox, OutboxReceiver, Wire) {
        let (outbox, receiver) = Outbox::with_socket(capacity, max_bytes, Some(socket));
        let wire = Wire::new(Arc::clone(&outbox.shared), read_ahead);
        (outbox, receiver, wire)
    }

    fn with_socket(
        capacity: usize,
        max_bytes: usize,
        socket: Option<Box<dyn RawSocket>>,
    ) -> (Outbox, OutboxReceiver) {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            max_bytes,
            socket,
        });
        (
            Outbox {
                shared: Arc::clone(&shared),
                capacity,
            },
            OutboxReceiver { shared },
        )
    }

    /// Writes `frame` to the socket if the session lets it, else queues it.
    pub(crate) fn push(&self, frame: impl Into<Queued>) -> Pushed {
        let frame = frame.into();
        let waiting = {
            let mut queue = self.shared.queue.lock().expect("outbox lock");
            if queue.closed {
                return Pushed::Refused;
            }
            if let Some(socket) = self
                .shared
                .socket
                .as_deref()
                .filter(|_| queue.direct && queue.frames.is_empty() && queue.unsent.is_empty())
            {
                // A failed socket is the session's to find: the frame queues for it.
                if write_or_keep(socket, &mut queue.unsent, frame.frame.as_bytes()).is_ok() {
                    // Left partly written: the session writes the rest.
                    let waiting = if queue.unsent.is_empty() {
                        None
                    } else {
                        queue.waiting.take()
                    };
                    drop(queue);
                    wake(waiting);
                    return Pushed::Written;
                }
            }
            // A frame over the byte bound still goes out alone, or it could never be delivered.
            let too_many_bytes =
                !queue.frames.is_empty() && queue.bytes + frame.frame.len() > self.shared.max_bytes;
            if queue.frames.len() >= self.capacity || too_many_bytes {
                queue.overflowed = true;
                let waiting = queue.waiting.take();
                drop(queue);
                wake(waiting);
                return Pushed::Refused;
            }
            queue.bytes += frame.frame.len();
            queue.frames.push_back(frame);
            queue.waiting.take()
        };
        wake(waiting);
        Pushed::Queued
    }

    /// Whether the queue has overflowed (for tests; the session learns it from `recv`).
    #[cfg(test)]
    pub(crate) fn is_too_slow(&self) -> bool {
        self.shared.queue.lock().expect("outbox lock").overflowed
    }
}

impl OutboxReceiver {
    /// Waits until there is something to write, or `TooSlow` once the queue has overflowed
    /// (before any frame still queued). Pushes queue from then on, behind what is there.
    pub(crate) fn recv(&mut self) -> impl Future<Output = Received> + '_ {
        // A waker kept under the queue's lock rather than a `Notify`: no push can slip between
        // the check and the wait, and every idle session's future stays 70 bytes smaller.
        poll_fn(|cx| {
            let mut queue = self.shared.queue.lock().expect("outbox lock");
            if queue.overflowed {
                return Poll::Ready(Received::TooSlow);
            }
            if !queue.frames.is_empty() || !queue.unsent.is_empty() {
                queue.direct = false;
                return Poll::Ready(Received::Write);
            }
            if !queue
                .waiting
                .as_ref()
                .is_some_and(|w| w.will_wake(cx.waker()))
            {
                queue.waiting = Some(cx.waker().clone());
            }
            Poll::Pending
        })
    }

    /// A queued frame, if any, without waiting.
    pub(crate) fn try_recv(&mut self) -> Option<Queued> {
        pop(&mut self.shared.queue.lock().expect("outbox lock"))
    }

    /// Lets pushes write straight to the socket while the session waits (with `examining`, the
    /// session looks at each frame first: they keep queuing). Called with nothing of the
    /// session's own left to write.
    pub(crate) fn wait_direct(&self, examining: bool) {
        let direct = !examining && self.shared.socket.is_some();
        self.shared.queue.lock().expect("outbox lock").direct = direct;
    }

    /// Makes pushes queue until [`OutboxReceiver::wait_direct`]: the session is about to act
    /// (subscribe, write its replies), and no broadcast may overtake that.
    pub(crate) fn stop_direct(&self) {
        self.shared.queue.lock().expect("outbox lock").direct = false;
    }
}

/// Wakes the session's task, if it waits (called with the queue's lock released).
fn wake(waiting: Option<Waker>) {
    if let Some(waker) = waiting {
        waker.wake();
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
        queue.direct = false;
        queue.frames = VecDeque::new();
        queue.bytes = 0;
        // The waker holds the session's task: the hub's handles must not keep it alive.
        queue.waiting = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
        assert!(outbox.push(frame("a")).taken());
        assert!(outbox.push(frame("b")).taken());
        let (first, mut receiver) = waiting.await.unwrap();
        assert!(matches!(first, Received::Write), "frames, not an overflow");
        assert_eq!(receiver.try_recv().unwrap().frame.as_str(), "a");
        assert_eq!(receiver.try_recv().unwrap().frame.as_str(), "b");
        assert!(receiver.try_recv().is_none());
    }

    /// A waker that counts its clones through its `Arc`.
    struct CountedWaker;
    impl std::task::Wake for CountedWaker {
        fn wake(self: Arc<Self>) {}
    }

    #[test]
    fn a_gone_session_is_not_kept_alive_by_the_hubs_handles() {
        let (outbox, mut receiver) = Outbox::new(4, usize::MAX);
        let task = Arc::new(CountedWaker);
        let waker = Waker::from(Arc::clone(&task));
        let mut cx = std::task::Context::from_waker(&waker);
        let mut recv = Box::pin(receiver.recv());
        assert!(recv.as_mut().poll(&mut cx).is_pending());
        assert!(recv.as_mut().poll(&mut cx).is_pending());
        assert_eq!(
            Arc::strong_count(&task),
            3,
            "kept once, however often it waits"
        );
        drop(recv);
        drop(receiver);
        assert_eq!(
            Arc::strong_count(&task),
            2,
            "the outbox the hub holds lets the task go"
        );
        assert_eq!(outbox.push(frame("late")), Pushed::Refused);
    }

    #[tokio::test]
    async fn overflow_refuses_without_blocking_and_wakes_the_receiver_before_queued_frames() {
        let (outbox, mut receiver) = Outbox::new(2, usize::MAX);
        let waiting = tokio::spawn(async move {
            // Take the first frame, then wait while the queue refills and overflows.
            let first = receiver.recv().await;
            receiver.try_recv();
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            (first, receiver.recv().await)
        });
        assert!(outbox.push(frame("0")).taken());
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        assert!(outbox.push(frame("1")).taken() && outbox.push(frame("2")).taken());
        assert!(!outbox.push(frame("3")).taken());
        assert!(outbox.is_too_slow());
        let (first, next) = tokio::time::timeout(std::time::Duration::from_secs(1), waiting)
            .await
            .expect("the receiver wakes")
            .unwrap();
        assert!(matches!(first, Received::Write));
        assert!(matches!(next, Received::TooSlow));
    }

    #[test]
    fn over_the_byte_bound_the_client_is_too_slow() {
        let (outbox, _receiver) = Outbox::new(1024, 10);
        assert!(outbox.push(frame("12345")).taken() && outbox.push(frame("67890")).taken());
        assert!(!outbox.push(frame("x")).taken(), "11 bytes > 10");
        assert!(outbox.is_too_slow());
    }

    #[test]
    fn frames_taken_give_their_bytes_back() {
        let (outbox, mut receiver) = Outbox::new(1024, 10);
        assert!(outbox.push(frame("1234567")).taken());
        assert_eq!(receiver.try_recv().unwrap().frame.as_str(), "1234567");
        assert!(outbox.push(frame("1234567")).taken() && outbox.push(frame("123")).taken());
        assert!(!outbox.is_too_slow());
    }

    #[test]
    fn a_frame_over_the_byte_bound_goes_out_alone() {
        let big = "x".repeat(100);
        let (outbox, _receiver) = Outbox::new(1024, 10);
        assert!(
            outbox.push(frame(&big)).taken(),
            "an empty queue takes any frame"
        );
        assert!(!outbox.push(frame("y")).taken(), "but nothing after it");
        assert!(outbox.is_too_slow());

        let (outbox, mut receiver) = Outbox::new(1024, 10);
        assert!(outbox.push(frame(&big)).taken());
        assert_eq!(receiver.try_recv().unwrap().frame.len(), 100);
        assert!(
            outbox.push(frame(&big)).taken(),
            "taken, so the queue is empty again"
        );
        assert!(!outbox.is_too_slow());
    }

    /// An outbox on one end of a socket pair, and the client's end.
    fn on_socket_pair(capacity: usize) -> (Outbox, OutboxReceiver, Wire, tokio::net::UnixStream) {
        let (ours, theirs) = tokio::net::UnixStream::pair().unwrap();
        let (outbox, receiver, wire) =
            Outbox::on_socket(capacity, usize::MAX, Box::new(ours), bytes::Bytes::new());
        (outbox, receiver, wire, theirs)
    }

    /// Reads `len` bytes from the client's end.
    async fn read_exactly(client: &mut tokio::net::UnixStream, len: usize) -> Vec<u8> {
        use tokio::io::AsyncReadExt;
        let mut bytes = vec![0; len];
        client.read_exact(&mut bytes).await.unwrap();
        bytes
    }

    fn text_frame(payload: &str) -> Vec<u8> {
        WireFrame::new(payload).as_bytes().to_vec()
    }

    #[tokio::test]
    async fn while_the_session_waits_a_push_is_written_without_waking_it() {
        let (outbox, mut receiver, _wire, mut client) = on_socket_pair(8);
        receiver.wait_direct(false);
        assert_eq!(outbox.push(frame("one")), Pushed::Written);
        assert_eq!(outbox.push(frame("two")), Pushed::Written);
        assert_eq!(
            read_exactly(&mut client, 10).await,
            [text_frame("one"), text_frame("two")].concat()
        );
        let woken = tokio::time::timeout(Duration::from_millis(50), receiver.recv()).await;
        assert!(woken.is_err(), "nothing for the session to do");
    }

    #[tokio::test]
    async fn once_the_session_acts_or_examines_pushes_queue_behind_its_writes() {
        let (outbox, mut receiver, wire, mut client) = on_socket_pair(8);
        receiver.wait_direct(true);
        assert_eq!(outbox.push(frame("held")), Pushed::Queued, "examined first");
        receiver.wait_direct(false);
        assert_eq!(
            outbox.push(frame("late")),
            Pushed::Queued,
            "behind a queued one"
        );
        assert!(matches!(receiver.recv().await, Received::Write));
        receiver.wait_direct(false);
        receiver.stop_direct();
        wire.write_frame(&WireFrame::new("reply")).unwrap();
        assert_eq!(
            outbox.push(frame("after")),
            Pushed::Queued,
            "the session acts"
        );
        for queued in std::iter::from_fn(|| receiver.try_recv()) {
            wire.write_frame(&queued.frame).unwrap();
        }
        let expected = ["reply", "held", "late", "after"].map(text_frame).concat();
        assert_eq!(read_exactly(&mut client, expected.len()).await, expected);
    }

    #[tokio::test]
    async fn a_frame_the_socket_takes_part_of_is_finished_before_anything_else() {
        let (outbox, mut receiver, wire, mut client) = on_socket_pair(1024);
        receiver.wait_direct(false);
        let big = "x".repeat(64 * 1024);
        let mut written = 0;
        // Until the socket keeps part of one back: the session is woken to finish it.
        while outbox.push(frame(&big)) == Pushed::Written {
            written += 1;
            if tokio::time::timeout(Duration::from_millis(1), receiver.recv())
                .await
                .is_ok()
            {
                break;
            }
        }
        assert!(written > 0);
        assert_eq!(outbox.push(frame("next")), Pushed::Queued);
        let mut expected = text_frame(&big).repeat(written);
        expected.extend(text_frame("next"));
        let reader =
            tokio::spawn(
                async move { read_exactly(&mut client, expected.len()).await == expected },
            );
        wire.flush().await.unwrap();
        let next = receiver.try_recv().unwrap();
        wire.write_frame(&next.frame).unwrap();
        wire.flush().await.unwrap();
        assert!(reader.await.unwrap(), "every frame whole and in order");
    }

    #[test]
    fn a_queued_entry_is_a_frame_and_a_pointer() {
        // The position costs one pointer: `Option<Arc<_>>` uses the pointer's niche.
        assert_eq!(
            std::mem::size_of::<Queued>(),
            std::mem::size_of::<WireFrame>() + std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn a_closed_session_refuses_frames_and_a_drained_burst_gives_its_room_back() {
        let (outbox, mut receiver) = Outbox::new(1024, usize::MAX);
        for n in 0..100 {
            outbox.push(frame(&n.to_string())).taken();
        }
        while receiver.try_recv().is_some() {}
        assert_eq!(receiver.shared.queue.lock().unwrap().frames.capacity(), 0);
        drop(receiver);
        assert!(!outbox.push(frame("late")).taken());
    }
}
