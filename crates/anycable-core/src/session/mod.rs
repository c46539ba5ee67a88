//! One WebSocket connection: welcome or refusal, the read loop, subscriptions, the bounded
//! outgoing queue, pings, and the way it ends (client close, bad input, too slow, shutdown).

mod outbox;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use rand::Rng;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;
use tokio::time::{interval_at, timeout, Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

pub use outbox::{Outbox, OutboxReceiver, OverflowSignal};

use crate::channels::{resolve_stream, StreamGrant};
use crate::config::Settings;
use crate::hub::{Hub, SessionId, Subscriber};
use crate::identity::Verdict;
use crate::protocol::{self, Command, DisconnectReason, Frame};

/// How long one write may take before the client is considered gone (AnyCable's default).
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// What a session needs from the server around it.
pub struct SessionContext {
    pub settings: Arc<Settings>,
    pub hub: Arc<Hub>,
    /// Flips to true when the server shuts down.
    pub shutdown: watch::Receiver<bool>,
}

/// Runs a connection to its end. `sid` is the session id sent in the welcome frame.
pub async fn run<S>(
    ws: WebSocketStream<S>,
    context: SessionContext,
    id: SessionId,
    sid: String,
    verdict: Verdict,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut session = Session {
        ws,
        id,
        sid: Arc::from(sid),
        settings: context.settings,
        hub: context.hub,
        subscriptions: HashMap::new(),
    };
    match verdict {
        Verdict::Refused(reason) => session.end(reason, CloseCode::Normal, "Auth Failed").await,
        Verdict::Identified { .. } | Verdict::Anonymous => session.serve(context.shutdown).await,
    }
}

struct Session<S> {
    ws: WebSocketStream<S>,
    id: SessionId,
    sid: Arc<str>,
    settings: Arc<Settings>,
    hub: Arc<Hub>,
    /// Identifier -> the stream it streams from.
    subscriptions: HashMap<Arc<str>, StreamGrant>,
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

impl<S: AsyncRead + AsyncWrite + Unpin> Session<S> {
    async fn serve(&mut self, mut shutdown: watch::Receiver<bool>) {
        let (outbox, mut queued) = Outbox::new(self.settings.outgoing_queue);
        let exit = if self.write(protocol::welcome(&self.sid)).await {
            self.read_loop(&outbox, &mut queued, &mut shutdown).await
        } else {
            Exit::Gone
        };
        for (identifier, grant) in self.subscriptions.drain() {
            self.hub.unsubscribe(&grant.stream, &identifier, self.id);
        }
        match exit {
            // Completes the closing handshake if the client started it; fails fast if it is gone.
            Exit::Gone => {
                let _ = timeout(WRITE_TIMEOUT, self.ws.close(None)).await;
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
        let overflow = queued.overflow_signal();
        if *shutdown.borrow() {
            return Exit::Disconnect(
                DisconnectReason::ServerRestart,
                CloseCode::Away,
                "Server restart",
            );
        }
        loop {
            tokio::select! {
                biased;
                _ = shutdown.changed() => {
                    return Exit::Disconnect(DisconnectReason::ServerRestart, CloseCode::Away, "Server restart");
                }
                _ = overflow.wait() => {
                    return Exit::Disconnect(DisconnectReason::TooSlow, CloseCode::Normal, "Too slow");
                }
                Some(frame) = queued.recv() => {
                    if !self.write_batch(frame, queued).await {
                        return Exit::Gone;
                    }
                }
                _ = pings.tick() => {
                    if !self.write(protocol::ping(unix_seconds())).await {
                        return Exit::Gone;
                    }
                }
                incoming = self.ws.next() => match incoming {
                    Some(Ok(Message::Text(text))) => match Command::parse(&text) {
                        Ok(command) => {
                            if !self.handle(command, outbox).await {
                                return Exit::Gone;
                            }
                        }
                        Err(_) => return Exit::Close(CloseCode::Invalid, "Malformed JSON"),
                    },
                    Some(Ok(Message::Binary(_))) => return Exit::Close(CloseCode::Unsupported, "Binary frames are not supported"),
                    Some(Ok(Message::Close(_))) | None => return Exit::Gone,
                    Some(Ok(_)) => {}
                    Some(Err(WsError::Capacity(_))) => return Exit::Close(CloseCode::Size, "Message too big"),
                    Some(Err(_)) => return Exit::Gone,
                },
            }
        }
    }

    /// Acts on one command; false if the client is gone.
    async fn handle(&mut self, command: Command, outbox: &Outbox) -> bool {
        match command {
            Command::Subscribe { identifier } => self.subscribe(identifier, outbox).await,
            Command::Unsubscribe { identifier } => {
                if let Some((identifier, grant)) =
                    self.subscriptions.remove_entry(identifier.as_str())
                {
                    self.hub.unsubscribe(&grant.stream, &identifier, self.id);
                }
                true
            }
            Command::Whisper { identifier, data } => {
                if let Some(grant) = self
                    .subscriptions
                    .get(identifier.as_str())
                    .filter(|g| g.whisper)
                {
                    self.hub.whisper(&grant.stream, self.id, &data);
                }
                true
            }
            // Stream channels have no actions; unknown commands are ignored.
            Command::Message { .. } | Command::Unknown => true,
        }
    }

    async fn subscribe(&mut self, identifier: String, outbox: &Outbox) -> bool {
        if self.subscriptions.contains_key(identifier.as_str()) {
            return true;
        }
        let Some(grant) = resolve_stream(&self.settings, &identifier) else {
            return self.write(protocol::reject(&identifier)).await;
        };
        let identifier: Arc<str> = Arc::from(identifier);
        let subscriber = Subscriber {
            sid: Arc::clone(&self.sid),
            outbox: outbox.clone(),
        };
        self.hub
            .subscribe(&grant.stream, &identifier, self.id, subscriber);
        let confirmed = self.write(protocol::confirm(&identifier)).await;
        self.subscriptions.insert(identifier, grant);
        confirmed
    }

    /// Writes `first` and whatever else is already queued, with one flush.
    async fn write_batch(&mut self, first: Frame, queued: &mut OutboxReceiver) -> bool {
        let feed = async {
            self.ws.feed(Message::Text(first)).await?;
            while let Ok(frame) = queued.try_recv() {
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
        let _ = timeout(WRITE_TIMEOUT, self.ws.close(Some(frame))).await;
    }
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}
