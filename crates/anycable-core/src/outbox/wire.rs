//! The session's end of the socket: tungstenite reads the client through it (and writes its
//! control frames: pongs, the closing handshake), and the session writes its frames with it. All
//! writes take the outbox's lock and go behind any unsent bytes, like the hub's direct writes.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::socket::{poll_drain, write_or_keep, RawSocket};
use super::{Shared, WireFrame};

/// The client's socket as the session sees it.
pub(crate) struct Wire {
    shared: Arc<Shared>,
    /// Bytes the client sent right behind its upgrade request, read before the socket.
    read_ahead: Bytes,
}

impl Wire {
    pub(super) fn new(shared: Arc<Shared>, read_ahead: Bytes) -> Wire {
        Wire { shared, read_ahead }
    }

    fn socket(&self) -> &dyn RawSocket {
        self.shared
            .socket
            .as_deref()
            .expect("a wire is made only with a socket")
    }

    /// Writes a frame as far as the socket takes it now; [`Wire::flush`] writes the rest.
    pub(crate) fn write_frame(&self, frame: &WireFrame) -> io::Result<()> {
        let mut queue = self.shared.queue.lock().expect("outbox lock");
        write_or_keep(self.socket(), &mut queue.unsent, frame.as_bytes())
    }

    /// Waits until the socket has taken every byte written so far.
    pub(crate) async fn flush(&self) -> io::Result<()> {
        poll_fn(|cx| self.poll_drain(cx)).await
    }

    fn poll_drain(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut queue = self.shared.queue.lock().expect("outbox lock");
        poll_drain(self.socket(), &mut queue.unsent, cx)
    }
}

impl AsyncRead for Wire {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let wire = self.get_mut();
        if !wire.read_ahead.is_empty() {
            let len = buf.remaining().min(wire.read_ahead.len());
            buf.put_slice(&wire.read_ahead[..len]);
            wire.read_ahead.advance(len);
            return Poll::Ready(Ok(()));
        }
        let socket = wire.socket();
        loop {
            ready!(socket.poll_read_ready(cx))?;
            match socket.try_read(buf.initialize_unfilled()) {
                Ok(read) => {
                    buf.advance(read);
                    return Poll::Ready(Ok(()));
                }
                // The readiness was stale; it is cleared, so the next poll waits.
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) => return Poll::Ready(Err(error)),
            }
        }
    }
}

/// tungstenite's writes: each call holds whole frames, so everything the socket does not take is
/// kept (behind earlier unsent bytes, which are written first) and the call reports it all
/// written; no other writer can come between the pieces of a frame.
impl AsyncWrite for Wire {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let wire = self.get_mut();
        ready!(wire.poll_drain(cx))?;
        let mut queue = wire.shared.queue.lock().expect("outbox lock");
        write_or_keep(wire.socket(), &mut queue.unsent, buf)?;
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_drain(cx)
    }

    /// The socket is shut when the session drops it; until then only the bytes are flushed.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_drain(cx)
    }
}
