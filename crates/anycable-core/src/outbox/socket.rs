//! The client's socket as the outbox writes it: through a shared reference, from whichever thread
//! has a frame for it, never waiting (tokio's `try_*` calls on a registered socket). Bytes the
//! socket does not take stay behind in order, always completing whole frames, so that frames
//! written from different threads never interleave.

use std::io;
use std::task::{ready, Context, Poll};

/// A connected, non-blocking stream socket registered with the runtime.
pub(crate) trait RawSocket: Send + Sync + 'static {
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize>;
    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    fn try_write(&self, buf: &[u8]) -> io::Result<usize>;
    /// A write that skips the runtime's readiness bookkeeping, for the first attempt at a frame:
    /// reading tokio's readiness word is a cache miss per subscriber in a large fan-out
    /// (BENCHMARKS.md). A `WouldBlock` leaves tokio believing the socket writable, so the
    /// session's next `try_write` finds it full and only then waits.
    fn send_now(&self, buf: &[u8]) -> io::Result<usize> {
        self.try_write(buf)
    }
}

/// `send(2)` on the descriptor, never blocking and never raising SIGPIPE.
#[cfg(target_os = "linux")]
fn send_on(fd: std::os::fd::RawFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: the caller borrows the socket that owns `fd`, so it is open; send only reads `buf`.
    let sent = unsafe {
        libc::send(
            fd,
            buf.as_ptr().cast(),
            buf.len(),
            libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
        )
    };
    usize::try_from(sent).map_err(|_| io::Error::last_os_error())
}

macro_rules! raw_socket {
    ($socket:ty) => {
        impl RawSocket for $socket {
            fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                <$socket>::poll_read_ready(self, cx)
            }
            fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
                <$socket>::try_read(self, buf)
            }
            fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                <$socket>::poll_write_ready(self, cx)
            }
            fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
                <$socket>::try_write(self, buf)
            }
            #[cfg(target_os = "linux")]
            fn send_now(&self, buf: &[u8]) -> io::Result<usize> {
                send_on(std::os::fd::AsRawFd::as_raw_fd(self), buf)
            }
        }
    };
}

raw_socket!(tokio::net::TcpStream);
// Socket pairs, for tests and the fuzz targets.
#[cfg(unix)]
raw_socket!(tokio::net::UnixStream);

/// Writes `bytes` (whole frames) as far as the socket takes them now, keeping the rest in
/// `unsent` for [`poll_drain`]. When `unsent` already holds bytes, these go behind them without
/// a write. Fails only when the socket does (not when it is full).
pub(crate) fn write_or_keep(
    socket: &dyn RawSocket,
    unsent: &mut Vec<u8>,
    bytes: &[u8],
) -> io::Result<()> {
    let written = if unsent.is_empty() {
        match socket.send_now(bytes) {
            Ok(written) => written,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => 0,
            Err(error) => return Err(error),
        }
    } else {
        0
    };
    unsent.extend_from_slice(&bytes[written..]);
    Ok(())
}

/// Writes what `unsent` holds, waiting for the socket to take it all; gives the buffer's room
/// back once it is empty (a burst's leftovers should not stay with an idle connection).
pub(crate) fn poll_drain(
    socket: &dyn RawSocket,
    unsent: &mut Vec<u8>,
    cx: &mut Context<'_>,
) -> Poll<io::Result<()>> {
    while !unsent.is_empty() {
        match socket.try_write(unsent) {
            Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
            Ok(written) => {
                unsent.drain(..written);
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                ready!(socket.poll_write_ready(cx))?;
            }
            Err(error) => return Poll::Ready(Err(error)),
        }
    }
    if unsent.capacity() > 0 {
        *unsent = Vec::new();
    }
    Poll::Ready(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[tokio::test]
    async fn what_a_full_socket_does_not_take_is_kept_whole_and_drained_in_order() {
        let (ours, theirs) = tokio::net::UnixStream::pair().unwrap();
        let chunk = vec![7u8; 64 * 1024];
        let mut unsent = Vec::new();
        // Fill the socket until it keeps something back.
        let mut sent = 0usize;
        while unsent.is_empty() {
            write_or_keep(&ours, &mut unsent, &[b"head", &chunk[..]].concat()).unwrap();
            sent += 4 + chunk.len();
        }
        write_or_keep(&ours, &mut unsent, b"tail").unwrap();
        sent += 4;
        assert!(unsent.ends_with(b"tail"), "queued behind what was kept");

        let reader = tokio::spawn(async move {
            let mut received = Vec::new();
            let mut buf = vec![0u8; 64 * 1024];
            while received.len() < sent {
                theirs.readable().await.unwrap();
                match theirs.try_read(&mut buf) {
                    Ok(n) => received.extend_from_slice(&buf[..n]),
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                    Err(error) => panic!("{error}"),
                }
            }
            received
        });
        std::future::poll_fn(|cx| poll_drain(&ours, &mut unsent, cx))
            .await
            .unwrap();
        assert_eq!(unsent.capacity(), 0, "the room is given back");
        let received = reader.await.unwrap();
        let mut expected = Vec::new();
        while expected.len() + 4 < sent {
            expected.extend_from_slice(b"head");
            expected.extend_from_slice(&chunk);
        }
        expected.extend_from_slice(b"tail");
        assert_eq!(received, expected);
    }
}
