//! One WebSocket connection: welcome or refusal, the read loop, subscriptions, the bounded
//! outgoing queue, pings, application calls, and the way it ends (client close, bad input, too
//! slow, shutdown).

mod application;
mod budget;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use rand::Rng;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;
use tokio::time::{interval_at, sleep_until, timeout, Instant, MissedTickBehavior, Sleep};
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

use crate::outbox::{Outbox, OutboxReceiver, Received};

use crate::channels::{channel_of, is_stream_channel, resolve_stream};
use crate::config::Settings;
use crate::hub::{Hub, SessionId, Subscriber};
use crate::identity::Verdict;
use crate::protocol::{self, Command, DisconnectReason, Frame, TimestampPrecision};
use crate::rpc::Env;
use application::AppReply;
use budget::CommandBudget;

/// How long one write may take before the client is considered gone (AnyCable's default).
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// The longest identifier a subscribe may carry; longer ones are rejected. Identifiers are kept for
/// the whole subscription and repeated in every broadcast frame, and real ones (Turbo's signed
/// names included) are a few hundred bytes.
pub const MAX_IDENTIFIER_BYTES: usize = 4096;

/// What a session needs from the server around it.
pub struct SessionContext {
    pub settings: Arc<Settings>,
    pub hub: Arc<Hub>,
    /// Flips to true when the server shuts down.
    pub shutdown: watch::Receiver<bool>,
}

/// Who connected: the session id for the welcome frame, the auth verdict, and the request as the
/// application sees it (`env`; kept only when there is an application, boxed so that sessions
/// without one carry a pointer instead of an empty `Env`).
pub struct Peer {
    pub id: SessionId,
    pub sid: String,
    pub verdict: Verdict,
    pub env: Option<Box<Env>>,
}

/// Runs a connection to its end.
pub async fn run<S>(ws: WebSocketStream<S>, context: SessionContext, peer: Peer)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut session = Session {
        ws,
        id: peer.id,
        sid: Arc::from(peer.sid),
        settings: context.settings,
        hub: context.hub,
        identifiers: String::new(),
        env: peer.env,
        connected_by_application: false,
        subscriptions: HashMap::new(),
        used_application: false,
        budget: CommandBudget::new(Instant::now()),
    };
    let welcomed = match peer.verdict {
        Verdict::Refused(reason) => {
            session.end(reason, CloseCode::Normal, "Auth Failed").await;
            return;
        }
        Verdict::Identified { identifiers } => {
            session.identifiers = identifiers;
            session.write(protocol::welcome(&session.sid)).await
        }
        Verdict::Anonymous => session.write(protocol::welcome(&session.sid)).await,
        // Boxed, like every application call: rare, and inline it would enlarge every session.
        Verdict::AskApplication => match Box::pin(session.connect()).await {
            Ok(welcomed) => welcomed,
            Err(reason) => {
                session.end(reason, CloseCode::Normal, "Auth Failed").await;
                return;
            }
        },
    };
    session.serve(welcomed, context.shutdown).await;
}

/// A subscription: the streams it streams from, and who answers it.
struct Subscription {
    streams: Vec<String>,
    /// Whether the subscriber may whisper to its streams.
    whisper: bool,
    /// Answered by the application (as opposed to `$pubsub` / Turbo, answered here).
    application: bool,
}

struct Session<S> {
    ws: WebSocketStream<S>,
    id: SessionId,
    sid: Arc<str>,
    settings: Arc<Settings>,
    hub: Arc<Hub>,
    /// The connection identifiers (JSON), from the token's `ext` or the application's `connect`.
    identifiers: String,
    env: Option<Box<Env>>,
    connected_by_application: bool,
    subscriptions: HashMap<Arc<str>, Subscription>,
    /// A command of this session went to the application, so it gets `disconnect` at the end.
    used_application: bool,
    budget: CommandBudget,
}

/// Why the read loop stopped.
enum Exit {
    /// The client closed or the connection failed; nothing more to send.
    Gone,
    /// End with a disconnect frame then a close frame.
    Disconnect(DisconnectReason, CloseCode, &'static str),
    /// End with a close frame only (protocol violations).
    Close(CloseCode, &'static str),
}

type PendingReply = Pin<Box<dyn Future<Output = AppReply> + Send>>;

impl<S: AsyncRead + AsyncWrite + Unpin> Session<S> {
    async fn serve(&mut self, welcomed: bool, mut shutdown: watch::Receiver<bool>) {
        let (outbox, mut queued) = Outbox::new(
            self.settings.outgoing_queue,
            self.settings.max_outgoing_bytes,
        );
        let exit = if welcomed {
            self.read_loop(&outbox, &mut queued, &mut shutdown).await
        } else {
            Exit::Gone
        };
        // Boxed: it runs once, and inline its state would enlarge every idle session.
        Box::pin(self.finish(exit)).await;
    }

    /// Leaves every stream, tells the application, and ends the connection as `exit` says.
    async fn finish(&mut self, exit: Exit) {
        let application_channels = self.leave_all();
        self.tell_application_goodbye(application_channels).await;
        match exit {
            // Completes the closing handshake if the client started it; fails fast if it is gone.
            // The sink's close flushes the reply tungstenite queued (echoing the client's code,
            // or 1002 for an invalid one); `ws.close` would try to send a second Close and fail.
            Exit::Gone => {
                let _ = timeout(WRITE_TIMEOUT, SinkExt::close(&mut self.ws)).await;
            }
            Exit::Disconnect(reason, code, why) => self.end(reason, code, why).await,
            Exit::Close(code, why) => self.close(code, why).await,
        }
    }

    async fn read_loop(
        &mut self,
        outbox: &Outbox,
        queued: &mut OutboxReceiver,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Exit {
        let interval = self.settings.ping_interval;
        // The first ping comes at a random moment in [0.5, 1.5) intervals so that clients that
        // connected together do not all get pinged together.
        let first = interval.mul_f64(rand::rng().random_range(0.5..1.5));
        let mut pings = interval_at(Instant::now() + first, interval);
        pings.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // One application call at a time per session, like AnyCable: commands wait their turn,
        // while broadcasts and pings keep flowing.
        let mut pending: Option<PendingReply> = None;
        // Set while the client is over its command budget: its socket is left unread (so TCP
        // slows it down) while broadcasts and pings keep flowing. Boxed, as it is rarely needed.
        let mut throttle: Option<Pin<Box<Sleep>>> = None;
        let rate = self.settings.command_rate;
        if *shutdown.borrow() {
            return Exit::Disconnect(
                DisconnectReason::ServerRestart,
                CloseCode::Away,
                "Server restart",
            );
        }
        loop {
            if throttle.is_none() {
                throttle = self
                    .budget
                    .wait_until(Instant::now(), rate)
                    .map(|ready| Box::pin(sleep_until(ready)));
            }
            tokio::select! {
                biased;
                _ = shutdown.changed() => {
                    return Exit::Disconnect(DisconnectReason::ServerRestart, CloseCode::Away, "Server restart");
                }
                received = queued.recv() => match received {
                    Received::Frame(frame) => {
                        if !self.write_batch(frame, queued).await {
                            return Exit::Gone;
                        }
                    }
                    Received::TooSlow => {
                        return Exit::Disconnect(DisconnectReason::TooSlow, CloseCode::Normal, "Too slow");
                    }
                },
                reply = async { pending.as_mut().expect("guarded").await }, if pending.is_some() => {
                    pending = None;
                    // Commands and replies are boxed: each is rare next to broadcasts, and inline
                    // their state would enlarge every idle session (BENCHMARKS.md).
                    if let Some(exit) = Box::pin(self.apply(reply, outbox)).await {
                        return exit;
                    }
                }
                _ = pings.tick() => {
                    if !self.write(protocol::ping(unix_time(), TimestampPrecision::Seconds)).await {
                        return Exit::Gone;
                    }
                }
                _ = async { throttle.as_mut().expect("guarded").await }, if throttle.is_some() => {
                    throttle = None;
                }
                incoming = self.next_incoming(rate), if pending.is_none() && throttle.is_none() => match incoming {
                    Some(Ok(Message::Text(text))) => match Command::parse(&text) {
                        Ok(command) => match Box::pin(self.handle(command, outbox)).await {
                            Handled::Done => {}
                            Handled::AskApplication(call) => pending = Some(call),
                            Handled::Gone => return Exit::Gone,
                        },
                        Err(_) => return Exit::Close(CloseCode::Invalid, "Malformed JSON"),
                    },
                    Some(Ok(Message::Binary(_))) => return Exit::Close(CloseCode::Unsupported, "Binary frames are not supported"),
                    Some(Ok(Message::Close(_))) | None => return Exit::Gone,
                    Some(Ok(_)) => {}
                    Some(Err(WsError::Capacity(_))) => return Exit::Close(CloseCode::Size, "Message too big"),
                    // tungstenite only reports these; the close frame with its code is ours to send.
                    Some(Err(WsError::Utf8(_))) => return Exit::Close(CloseCode::Invalid, "Invalid UTF-8"),
                    Some(Err(WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake))) => return Exit::Gone,
                    Some(Err(WsError::Protocol(_))) => return Exit::Close(CloseCode::Protocol, "Protocol error"),
                    Some(Err(_)) => return Exit::Gone,
                },
            }
        }
    }

    /// The next message from the client, counted against its command budget.
    async fn next_incoming(&mut self, rate: u32) -> Option<Result<Message, WsError>> {
        let incoming = self.ws.next().await;
        self.budget.spend(Instant::now(), rate);
        incoming
    }

    /// Acts on one command, or says which application call it needs.
    async fn handle(&mut self, command: Command, outbox: &Outbox) -> Handled {
        match command {
            Command::Subscribe { identifier, .. } => {
                if self.subscriptions.contains_key(identifier.as_str()) {
                    return Handled::Done;
                }
                // Over a bound the subscribe is refused like any other; the connection stays.
                if identifier.len() > MAX_IDENTIFIER_BYTES
                    || self.subscriptions.len() >= self.settings.max_subscriptions
                {
                    return Handled::from_write(self.write(protocol::reject(&identifier)).await);
                }
                let for_application = channel_of(&identifier)
                    .is_some_and(|channel| !is_stream_channel(&self.settings, &channel));
                match for_application
                    .then(|| self.application_call("subscribe", &identifier, None))
                    .flatten()
                {
                    Some(call) => Handled::AskApplication(call),
                    // Stream channels are answered here; anything else without an application is rejected.
                    None => self.subscribe_stream(identifier, outbox).await,
                }
            }
            Command::Unsubscribe { identifier } => {
                let Some(subscription) = self.leave(&identifier) else {
                    return Handled::Done;
                };
                let call = subscription
                    .application
                    .then(|| self.application_call("unsubscribe", &identifier, None))
                    .flatten();
                call.map_or(Handled::Done, Handled::AskApplication)
            }
            Command::Message { identifier, data } => {
                match self.subscriptions.get(identifier.as_str()) {
                    Some(subscription) if subscription.application => self
                        .application_call("message", &identifier, Some(data))
                        .map_or(Handled::Done, Handled::AskApplication),
                    // Stream channels have no actions; unknown identifiers are ignored.
                    _ => Handled::Done,
                }
            }
            Command::Whisper { identifier, data } => {
                if let Some(subscription) = self
                    .subscriptions
                    .get(identifier.as_str())
                    .filter(|s| s.whisper)
                {
                    for stream in &subscription.streams {
                        self.hub.whisper(stream, self.id, &data);
                    }
                }
                Handled::Done
            }
            // The extended protocol's commands are served in a later step of issue 14.
            Command::History { .. }
            | Command::Join { .. }
            | Command::Leave { .. }
            | Command::PresenceInfo { .. }
            | Command::Ping
            | Command::Pong
            | Command::Unknown => Handled::Done,
        }
    }

    async fn subscribe_stream(&mut self, identifier: String, outbox: &Outbox) -> Handled {
        let Some(grant) = resolve_stream(&self.settings, &identifier) else {
            return Handled::from_write(self.write(protocol::reject(&identifier)).await);
        };
        let identifier: Arc<str> = Arc::from(identifier);
        self.subscriptions.insert(
            Arc::clone(&identifier),
            Subscription {
                streams: Vec::new(),
                whisper: grant.whisper,
                application: false,
            },
        );
        self.stream_from(&identifier, grant.stream, outbox);
        Handled::from_write(self.write(protocol::confirm(&identifier)).await)
    }

    /// Adds `stream` to a subscription (and the hub) unless it is there already.
    fn stream_from(&mut self, identifier: &Arc<str>, stream: String, outbox: &Outbox) {
        let Some(subscription) = self.subscriptions.get_mut(identifier) else {
            return;
        };
        if subscription.streams.contains(&stream) {
            return;
        }
        let subscriber = Subscriber {
            sid: Arc::clone(&self.sid),
            outbox: outbox.clone(),
        };
        self.hub.subscribe(&stream, identifier, self.id, subscriber);
        subscription.streams.push(stream);
    }

    fn stop_stream_from(&mut self, identifier: &str, stream: &str) {
        let Some(subscription) = self.subscriptions.get_mut(identifier) else {
            return;
        };
        subscription.streams.retain(|s| s != stream);
        self.hub.unsubscribe(stream, identifier, self.id);
    }

    /// Removes a subscription and its streams.
    fn leave(&mut self, identifier: &str) -> Option<Subscription> {
        let (identifier, subscription) = self.subscriptions.remove_entry(identifier)?;
        for stream in &subscription.streams {
            self.hub.unsubscribe(stream, &identifier, self.id);
        }
        Some(subscription)
    }

    /// Leaves everything; returns the identifiers of the application's channels.
    fn leave_all(&mut self) -> Vec<String> {
        let identifiers: Vec<Arc<str>> = self.subscriptions.keys().cloned().collect();
        identifiers
            .into_iter()
            .filter_map(|identifier| {
                let subscription = self.leave(&identifier)?;
                subscription.application.then(|| identifier.to_string())
            })
            .collect()
    }

    /// Writes `first` and whatever else is already queued, with one flush.
    async fn write_batch(&mut self, first: Frame, queued: &mut OutboxReceiver) -> bool {
        let feed = async {
            self.ws.feed(Message::Text(first)).await?;
            while let Some(frame) = queued.try_recv() {
                self.ws.feed(Message::Text(frame)).await?;
            }
            self.ws.flush().await
        };
        matches!(timeout(WRITE_TIMEOUT, feed).await, Ok(Ok(())))
    }

    async fn write(&mut self, frame: Frame) -> bool {
        matches!(
            timeout(WRITE_TIMEOUT, self.ws.send(Message::Text(frame))).await,
            Ok(Ok(()))
        )
    }

    /// Sends the disconnect frame, then closes.
    async fn end(&mut self, reason: DisconnectReason, code: CloseCode, why: &'static str) {
        if self.write(protocol::disconnect(reason)).await {
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

/// What handling a command led to.
enum Handled {
    Done,
    AskApplication(PendingReply),
    Gone,
}

impl Handled {
    fn from_write(written: bool) -> Handled {
        if written {
            Handled::Done
        } else {
            Handled::Gone
        }
    }
}

fn unix_time() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}
