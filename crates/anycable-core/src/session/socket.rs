//! The socket side of a session: the welcome or refusal, the read loop, the outgoing queue, pings,
//! the command rate, write timeouts, shutdown, and the way the connection ends (client close, bad
//! input, too slow, shutdown). What a command or a reply means is the core's to decide.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{FutureExt, SinkExt, StreamExt};
use rand::Rng;
use tokio::sync::watch;
use tokio::time::{
    interval_at, sleep, sleep_until, timeout, Instant, Interval, MissedTickBehavior, Sleep,
};
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

use super::application::AppReply;
use super::broker_call::BrokerReply;
use super::budget::CommandBudget;
use super::core::{Effects, Session};
use super::history::Admit;
use super::pong_deadline::PongDeadline;
use super::token_expiry::expiry_timer;
use super::{Peer, SessionContext};
use crate::identity::Verdict;
use crate::log::log;
use crate::metrics::{SessionEnd, SessionMetrics};
use crate::outbox::{Outbox, OutboxReceiver, RawSocket, Received, Wire, WireFrame};
use crate::pings::{unix_time, Pinger};
use crate::protocol::{self, Command, DisconnectReason, Frame, Protocol, TimestampPrecision};

/// How long one write may take before the client is considered gone (AnyCable's default).
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// Runs a connection to its end on `socket` (upgraded; `read_ahead`: what the client sent behind
/// its upgrade request). Everything is set up before the future starts: an `async fn` would keep
/// its arguments in the future beside what is built from them, for the session's whole life.
pub(crate) fn run(
    socket: Box<dyn RawSocket>,
    read_ahead: Bytes,
    config: WebSocketConfig,
    context: SessionContext,
    peer: Peer,
) -> impl Future<Output = ()> {
    let settings = &context.settings;
    let (outbox, mut queued, wire) = Outbox::on_socket(
        settings.outgoing_queue,
        settings.max_outgoing_bytes,
        socket,
        read_ahead,
    );
    let pace = Pace {
        ping_interval: peer.pings.interval.unwrap_or(settings.ping_interval),
        precision: peer.pings.precision.unwrap_or_default(),
        command_rate: settings.command_rate,
    };
    let mut deadlines = Deadlines {
        // Boxed, and only for the sessions that have them: most have neither.
        pong: (peer.protocol == Protocol::Extended && !settings.pong_timeout.is_zero())
            .then(|| Box::new(PongDeadline::new(settings.pong_timeout))),
        expiry: match &peer.verdict {
            Verdict::Identified {
                expires_at: Some(expires_at),
                ..
            } if settings.disconnect_on_token_expiry => expiry_timer(*expires_at),
            _ => None,
        },
    };
    let mut session = Session::new(
        peer.id,
        Arc::from(peer.sid),
        peer.env,
        context.settings,
        context.hub,
        outbox,
        context.broker,
    );
    // Only extended-protocol sessions are kept and restored (plain clients never are).
    session.resumption.resumable = peer.protocol == Protocol::Extended;
    session.resumption.restore_sid = peer.restore_sid.map(String::into_boxed_str);
    let mut connection = Connection {
        // No handshake to wait for: the future is ready at once.
        ws: WebSocketStream::from_raw_socket(wire, Role::Server, Some(config))
            .now_or_never()
            .expect("a raw socket needs no handshake"),
        session,
        budget: CommandBudget::new(Instant::now()),
    };
    // Boxed: the future keeps room for what it captures for its whole life, and the verdict is
    // needed only to open. 32 bytes less per session; tokio rounds a task up to 128 bytes, and
    // this took the session's from 1,408 to 1,280 (BENCHMARKS.md).
    let verdict = Box::new(peer.verdict);
    let (mut shutdown, pinger) = (context.shutdown, context.pinger);
    async move {
        // Boxed: it runs once, and inline its state (the opening's effects, an application
        // call, a refusal's writes) would set the size of every idle session's future.
        let exit = match Box::pin(connection.open(*verdict)).await {
            Opened::Welcomed => {
                connection.metrics().opened(&connection.session.identifiers);
                let exit = connection
                    .read_loop(&mut queued, &mut shutdown, &pinger, &pace, &mut deadlines)
                    .await;
                // Closed before the session's last frames: nothing may follow them.
                drop(queued);
                connection.metrics().closed(&connection.session.identifiers);
                exit
            }
            Opened::Gone => Exit::Gone,
            Opened::Refused => return,
        };
        // Boxed: it runs once, and inline its state would enlarge every idle session.
        Box::pin(connection.finish(exit)).await;
    }
}

/// The timing options the socket loop reads.
#[derive(Clone, Copy)]
struct Pace {
    ping_interval: Duration,
    /// The unit of the pings' timestamps.
    precision: TimestampPrecision,
    /// Commands per second a client may send (a burst of as many).
    command_rate: u32,
}

/// What ends a session at a time of its own: an extended-protocol client's silence after a ping
/// (`pongTimeout`) and its token's expiry (`disconnectOnTokenExpiry`); each `None` when off.
struct Deadlines {
    pong: Option<Box<PongDeadline>>,
    expiry: Option<Pin<Box<Sleep>>>,
}

struct Connection {
    ws: WebSocketStream<Wire>,
    session: Session,
    budget: CommandBudget,
}

/// How opening the session went.
enum Opened {
    Welcomed,
    /// The client went away before its welcome was written.
    Gone,
    /// Refused: the disconnect frame and the close are sent; the session never started.
    Refused,
}

/// Why the read loop stopped.
enum Exit {
    /// The client closed or the connection failed; nothing more to send.
    Gone,
    /// End with a disconnect frame then a close frame.
    Disconnect(DisconnectReason),
    /// End with a close frame only (protocol violations).
    Close(CloseCode, &'static str),
}

/// What the read loop does next, once effects are carried out.
enum Next {
    Read,
    /// Wait for the application's or the broker's reply before reading more commands.
    AwaitReply(PendingReply),
    Exit(Exit),
}

/// The answer to the call a session is waiting for.
#[expect(
    clippy::large_enum_variant,
    reason = "it only lives inside the boxed pending call, never in an idle session"
)]
enum Reply {
    App(AppReply),
    Broker(BrokerReply),
}

/// Its reply comes boxed: the read loop holds its `select!`'s output (which has room for a reply)
/// while it waits, so an inline reply would enlarge every idle session by its size.
type PendingReply = Pin<Box<dyn Future<Output = Box<Reply>> + Send>>;

/// What one read from the client gives: a message, an error, or `None` at the end.
type Incoming = Option<Result<Message, WsError>>;

impl Connection {
    /// Authenticates (asking the application's `connect` if the verdict says so), restores the
    /// session asked for, and welcomes or refuses.
    async fn open(&mut self, verdict: Verdict) -> Opened {
        let mut opening = self.session.open(verdict);
        let mut frames = Vec::new();
        loop {
            frames.append(&mut opening.frames);
            if let Some(reason) = opening.disconnect {
                if reason == DisconnectReason::Unauthorized {
                    self.metrics().failed_auths.inc();
                }
                self.metrics().ended(SessionEnd::Disconnect(reason));
                self.end(reason).await;
                return Opened::Refused;
            }
            // Boxed, like every call: rare, and inline they would enlarge every session.
            opening = if let Some(call) = opening.call.take() {
                self.session.apply(Box::pin(call.send()).await)
            } else if let Some(call) = opening.broker.take() {
                self.session.apply_broker(Box::pin(call.send()).await)
            } else {
                break;
            };
        }
        if self.write_all(frames).await {
            Opened::Welcomed
        } else {
            Opened::Gone
        }
    }

    /// Keeps the session for a restore (unless the server ended it for good), leaves every
    /// stream, tells the application, and ends the connection as `exit` says.
    async fn finish(&mut self, exit: Exit) {
        self.metrics().ended(match exit {
            Exit::Gone => SessionEnd::ClientClosed,
            Exit::Disconnect(reason) => SessionEnd::Disconnect(reason),
            Exit::Close(..) => SessionEnd::ProtocolError,
        });
        log!(
            self.session.settings.log,
            Debug,
            "session closed",
            sid = self.session.sid,
            reason = match exit {
                Exit::Gone => "closed_by_client",
                Exit::Disconnect(reason) => reason.as_str(),
                Exit::Close(_, why) => why,
            },
        );
        // Presence outlives the connection by `presenceTtl` from now, unless the id comes back.
        if let Some(touch) = self.session.keep_presence() {
            touch.send().await;
        }
        let for_good = matches!(exit, Exit::Disconnect(reason) if !reason.reconnect());
        if let Some(keep) = (!for_good).then(|| self.session.keep()).flatten() {
            let _ = keep.send().await;
        }
        if let Some(goodbye) = self.session.finish() {
            goodbye.send().await;
        }
        match exit {
            // Completes the closing handshake if the client started it; fails fast if it is gone.
            // The sink's close flushes the reply tungstenite queued (echoing the client's code,
            // or 1002 for an invalid one); `ws.close` would try to send a second Close and fail.
            Exit::Gone => {
                let _ = timeout(WRITE_TIMEOUT, SinkExt::close(&mut self.ws)).await;
            }
            Exit::Disconnect(reason) => self.end(reason).await,
            Exit::Close(code, why) => self.close(code, why).await,
        }
    }

    /// The session's life after its welcome, until it ends. Not an `async fn`: that would keep
    /// its arguments twice, for the session's whole life; they are borrowed from the session's
    /// future, which holds them anyway.
    #[expect(
        clippy::manual_async_fn,
        reason = "an async fn keeps its arguments twice in the future"
    )]
    fn read_loop<'a>(
        &'a mut self,
        queued: &'a mut OutboxReceiver,
        shutdown: &'a mut watch::Receiver<bool>,
        pinger: &'a Arc<Pinger>,
        pace: &'a Pace,
        deadlines: &'a mut Deadlines,
    ) -> impl Future<Output = Exit> + 'a {
        async move {
            // Pinged by the server's pinger, straight through the outbox, unless the session acts
            // on its pings: then with a timer of its own (boxed: that is rare).
            let acts_on_pings = pace.ping_interval != pinger.interval()
                || deadlines.pong.is_some()
                || self.session.replay.is_some();
            let (mut pings, _pinged) = if acts_on_pings {
                (Some(Box::pin(own_pings(pace.ping_interval))), None)
            } else {
                let outbox = self.session.outbox().clone();
                let membership = pinger.join(self.session.id(), outbox, pace.precision);
                (None, Some(membership))
            };
            // One application call at a time per session, like AnyCable: commands wait their turn,
            // while broadcasts and pings keep flowing.
            let mut pending: Option<PendingReply> = None;
            // Set while the client is over its command budget: its socket is left unread (so TCP
            // slows it down) while broadcasts and pings keep flowing. Boxed, as it is rarely needed.
            let mut throttle: Option<Pin<Box<Sleep>>> = None;
            // Set while the session holds presence somewhere: it is touched every half `presenceTtl`
            // (whatever the protocol: a connected user stays present). Boxed, as most never join.
            let mut presence: Option<Pin<Box<Sleep>>> = None;
            let rate = pace.command_rate;
            if *shutdown.borrow() {
                return Exit::Disconnect(DisconnectReason::ServerRestart);
            }
            loop {
                if throttle.is_none() {
                    throttle = self
                        .budget
                        .wait_until(Instant::now(), rate)
                        .map(|ready| Box::pin(sleep_until(ready)));
                }
                // While the session waits, broadcasts go straight to the socket (unless it examines
                // each one); every branch that acts stops that first, so nothing overtakes its writes.
                queued.wait_direct(self.session.replay.is_some());
                // Commands and replies are boxed: each is rare next to broadcasts, and inline their
                // state would enlarge every idle session (BENCHMARKS.md).
                let next = tokio::select! {
                    biased;
                    _ = shutdown.changed() => Next::Exit(Exit::Disconnect(DisconnectReason::ServerRestart)),
                    _ = async { deadlines.expiry.as_mut().expect("guarded").await }, if deadlines.expiry.is_some() => {
                        Next::Exit(Exit::Disconnect(DisconnectReason::TokenExpired))
                    }
                    received = queued.recv() => match received {
                        Received::Write => self.write_batch(queued).await,
                        Received::TooSlow => Next::Exit(Exit::Disconnect(DisconnectReason::TooSlow)),
                    },
                    reply = async { pending.as_mut().expect("guarded").await }, if pending.is_some() => {
                        queued.stop_direct();
                        pending = None;
                        let next = Box::pin(self.take_reply(reply)).await;
                        // Only a broker reply makes a session join.
                        if presence.is_none() && self.session.holds_presence() {
                            presence = Some(self.presence_keepalive());
                        }
                        next
                    }
                    _ = async { pings.as_mut().expect("guarded").tick().await }, if pings.is_some() => {
                        queued.stop_direct();
                        let released = self.session.release_restored();
                        if self.write_all(released).await && self.write(protocol::ping(unix_time(), pace.precision)).await {
                            if let Some(pong) = deadlines.pong.as_mut() {
                                pong.pinged();
                            }
                            Next::Read
                        } else {
                            Next::Exit(Exit::Gone)
                        }
                    }
                    _ = async { throttle.as_mut().expect("guarded").await }, if throttle.is_some() => {
                        throttle = None;
                        Next::Read
                    }
                    // After any call in flight: one broker call at a time per session.
                    _ = async { presence.as_mut().expect("guarded").await }, if presence.is_some() && pending.is_none() => {
                        match self.session.keep_presence() {
                            Some(touch) => {
                                presence = Some(self.presence_keepalive());
                                Next::AwaitReply(Box::pin(async { Box::new(Reply::Broker(touch.send().await)) }))
                            }
                            None => {
                                presence = None;
                                Next::Read
                            }
                        }
                    }
                    incoming = self.next_incoming(rate), if pending.is_none() && throttle.is_none() => match heard(&mut deadlines.pong, incoming) {
                        Some(Ok(Message::Text(text))) => {
                            queued.stop_direct();
                            match self.parse(&text) {
                                Some(command) => Box::pin(self.take_command(command)).await,
                                None => Next::Exit(Exit::Close(CloseCode::Invalid, "Malformed JSON")),
                            }
                        }
                        Some(Ok(Message::Binary(data))) => {
                            self.received(data.len(), false);
                            Next::Exit(Exit::Close(CloseCode::Unsupported, "Binary frames are not supported"))
                        }
                        Some(Ok(Message::Close(_))) | None => Next::Exit(Exit::Gone),
                        Some(Ok(_)) => Next::Read,
                        Some(Err(WsError::Capacity(_))) => Next::Exit(Exit::Close(CloseCode::Size, "Message too big")),
                        // tungstenite only reports these; the close frame with its code is ours to send.
                        Some(Err(WsError::Utf8(_))) => Next::Exit(Exit::Close(CloseCode::Invalid, "Invalid UTF-8")),
                        Some(Err(WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake))) => Next::Exit(Exit::Gone),
                        Some(Err(WsError::Protocol(_))) => Next::Exit(Exit::Close(CloseCode::Protocol, "Protocol error")),
                        Some(Err(_)) => Next::Exit(Exit::Gone),
                    },
                    // Only while the client is being read: its answer may be waiting unread behind an
                    // application call or the command budget, and a frame ready now comes first.
                    _ = async { deadlines.pong.as_mut().expect("guarded").passed().await }, if deadlines.pong.is_some() && pending.is_none() && throttle.is_none() => {
                        Next::Exit(Exit::Disconnect(DisconnectReason::NoPong))
                    }
                };
                match next {
                    Next::Read => {}
                    Next::AwaitReply(reply) => pending = Some(reply),
                    Next::Exit(exit) => return exit,
                }
            }
        }
    }

    /// When to touch the session's presence next: half `presenceTtl` from now. (Not kept in the
    /// read loop: every idle session would carry it.)
    fn presence_keepalive(&self) -> Pin<Box<Sleep>> {
        Box::pin(sleep(self.session.settings.presence_ttl / 2))
    }

    /// Parses a command from the client (`None`: malformed), counting it.
    fn parse(&self, text: &str) -> Option<Command> {
        let parsed = Command::parse(text).ok();
        self.received(text.len(), !matches!(parsed, Some(Command::Unknown) | None));
        parsed
    }

    /// Counts a message of `len` bytes from the client; `known`: it is a command the server acts
    /// on (`failed_client_msg_total` counts the rest).
    fn received(&self, len: usize, known: bool) {
        let metrics = self.metrics();
        metrics.client_msg.inc();
        metrics.data_rcvd.add(len as u64);
        if !known {
            metrics.failed_client_msg.inc();
        }
    }

    /// The next message from the client, counted against its command budget.
    async fn next_incoming(&mut self, rate: u32) -> Incoming {
        let incoming = self.ws.next().await;
        self.budget.spend(Instant::now(), rate);
        incoming
    }

    async fn take_command(&mut self, command: Command) -> Next {
        let effects = self.session.handle(command);
        self.carry_out(effects).await
    }

    async fn take_reply(&mut self, reply: Box<Reply>) -> Next {
        let effects = match *reply {
            Reply::App(reply) => self.session.apply(reply),
            Reply::Broker(reply) => self.session.apply_broker(reply),
        };
        self.carry_out(effects).await
    }

    /// Writes the frames, then ends the session or starts the application or broker call.
    async fn carry_out(&mut self, effects: Effects) -> Next {
        if !self.write_all(effects.frames).await {
            return Next::Exit(Exit::Gone);
        }
        if let Some(reason) = effects.disconnect {
            return Next::Exit(Exit::Disconnect(reason));
        }
        if let Some(call) = effects.call {
            return Next::AwaitReply(Box::pin(async { Box::new(Reply::App(call.send().await)) }));
        }
        match effects.broker {
            Some(call) => Next::AwaitReply(Box::pin(async {
                Box::new(Reply::Broker(call.send().await))
            })),
            None => Next::Read,
        }
    }

    async fn write_all(&mut self, frames: Vec<Frame>) -> bool {
        for frame in frames {
            if !self.write(frame).await {
                return false;
            }
        }
        true
    }

    /// Writes whatever is queued, frame by frame, and what the socket has not taken yet; the
    /// session decides which frames go out (a history replay in flight holds some back,
    /// duplicates are dropped). While the socket is full no more frames are taken, so a slow
    /// client's backlog stays in the bounded queue.
    async fn write_batch(&mut self, queued: &mut OutboxReceiver) -> Next {
        let session = &mut self.session;
        let wire = self.ws.get_ref();
        // Counted into the (per-thread) counters frame by frame: totals kept across the writes
        // would be state every idle session carries.
        let feed = async {
            let mut depth = 0u32;
            while let Some(entry) = queued.try_recv() {
                depth += 1;
                match session.admit(entry) {
                    Admit::Write(frame) => {
                        session.hub.sessions.sent(frame.len());
                        wire.write_frame(&frame)?;
                    }
                    Admit::Skip => {}
                    Admit::TooSlow => return Ok(false),
                }
                // Outside the match, so the frame is not kept in every idle session's future.
                wire.flush().await?;
            }
            if depth > 0 {
                session.hub.sessions.queue_depth.observe(u64::from(depth));
            }
            wire.flush().await.map(|()| true)
        };
        match timeout(WRITE_TIMEOUT, feed).await {
            Ok(Ok(true)) => Next::Read,
            Ok(Ok(false)) => Next::Exit(Exit::Disconnect(DisconnectReason::TooSlow)),
            _ => Next::Exit(Exit::Gone),
        }
    }

    /// Writes one frame. Counted and handed to the socket before the future starts: anything the
    /// future kept would be state every idle session carries (a failed write ends the session
    /// anyway).
    fn write(&mut self, frame: Frame) -> impl Future<Output = bool> + '_ {
        self.metrics().sent(frame.len());
        let handed = self
            .ws
            .get_ref()
            .write_frame(&WireFrame::from(frame))
            .is_ok();
        async move {
            handed
                && matches!(
                    timeout(WRITE_TIMEOUT, self.ws.get_ref().flush()).await,
                    Ok(Ok(()))
                )
        }
    }

    /// What this server's sessions count.
    fn metrics(&self) -> &SessionMetrics {
        &self.session.hub.sessions
    }

    /// Sends the disconnect frame, then closes.
    async fn end(&mut self, reason: DisconnectReason) {
        if self.write(protocol::disconnect(reason)).await {
            let (code, why) = close_for(reason);
            self.close(code, why).await;
        }
    }

    async fn close(&mut self, code: CloseCode, why: &'static str) {
        let frame = CloseFrame {
            code,
            reason: why.into(),
        };
        // Complete the closing handshake: wait (briefly) for the client's Close reply, so the
        // socket is not torn down with unread data, which would reset it and could lose the
        // frames just sent.
        let handshake = async {
            if self.ws.close(Some(frame)).await.is_ok() {
                while let Some(Ok(_)) = self.ws.next().await {}
            }
        };
        let _ = timeout(WRITE_TIMEOUT, handshake).await;
    }
}

/// A session's own ping timer. The first ping comes at a random moment in [0.5, 1.5) intervals
/// so that clients that connected together do not all get pinged together.
fn own_pings(interval: Duration) -> Interval {
    let first = interval.mul_f64(rand::rng().random_range(0.5..1.5));
    let mut pings = interval_at(Instant::now() + first, interval);
    pings.set_missed_tick_behavior(MissedTickBehavior::Delay);
    pings
}

/// The close frame that follows a disconnect frame.
fn close_for(reason: DisconnectReason) -> (CloseCode, &'static str) {
    match reason {
        DisconnectReason::Unauthorized | DisconnectReason::TokenExpired => {
            (CloseCode::Normal, "Auth Failed")
        }
        DisconnectReason::ServerRestart => (CloseCode::Away, "Server restart"),
        DisconnectReason::TooSlow => (CloseCode::Normal, "Too slow"),
        DisconnectReason::NoPong => (CloseCode::Normal, "No pong"),
        DisconnectReason::Remote => (CloseCode::Normal, "Closed by the application"),
    }
}

/// Passes what was read on, telling the pong deadline (if any) when it is a frame: any frame
/// from the client shows it is alive.
fn heard(pong: &mut Option<Box<PongDeadline>>, incoming: Incoming) -> Incoming {
    if let (Some(pong), Some(Ok(_))) = (pong.as_mut(), &incoming) {
        pong.heard();
    }
    incoming
}
