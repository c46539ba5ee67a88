//! The session's side of application channels: `connect` for tokenless clients, commands for
//! application subscriptions, and the final `disconnect`.

use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::{Exit, PendingReply, Session, Subscription};
use crate::outbox::Outbox;
use crate::protocol::{self, DisconnectReason};
use crate::rpc::{
    CommandRequest, CommandResponse, ConnectRequest, DisconnectRequest, Env, EnvResponse, Rpc,
    RpcError, Status,
};

/// A command for the application, ready to send without borrowing the session.
struct AppCall {
    rpc: Rpc,
    sid: Arc<str>,
    request: CommandRequest,
}

/// The application's answer to an [`AppCall`].
pub(super) struct AppReply {
    command: String,
    identifier: String,
    result: Result<CommandResponse, RpcError>,
}

impl AppCall {
    async fn send(self) -> AppReply {
        let result = self.rpc.command(&self.sid, &self.request).await;
        AppReply {
            command: self.request.command,
            identifier: self.request.identifier,
            result,
        }
    }
}

/// Application failures are the application's bugs: say so on stderr, never with a token.
fn report(sid: &str, what: &str, error: impl std::fmt::Display) {
    eprintln!("anycable-rs: application {what} failed (session {sid}): {error}");
}

impl<S: AsyncRead + AsyncWrite + Unpin> Session<S> {
    /// The request and state the application sees with each call.
    fn request_env(&self) -> Env {
        self.env.as_deref().cloned().unwrap_or_default()
    }

    fn merge_env(&mut self, changes: Option<EnvResponse>) {
        self.env.get_or_insert_with(Box::default).merge(changes);
    }

    /// Asks the application to accept a tokenless connection. `Ok(welcomed)` when accepted.
    pub(super) async fn connect(&mut self) -> Result<bool, DisconnectReason> {
        let rpc = self
            .settings
            .rpc
            .clone()
            .expect("the verdict asks the application only when there is one");
        let request = ConnectRequest {
            env: self.request_env(),
        };
        match rpc.connect(&self.sid, &request).await {
            Ok(response) if response.status == Status::Success => {
                self.merge_env(response.env);
                self.identifiers = response.identifiers.unwrap_or_default();
                self.connected_by_application = true;
                // The application's transmissions include its welcome frame.
                for transmission in response.transmissions.unwrap_or_default() {
                    if !self.write(transmission.into()).await {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Ok(response) => {
                if response.status == Status::Error {
                    report(&self.sid, "connect", response.error_msg.unwrap_or_default());
                }
                // The frame is sent by the session with `reconnect:false`, whatever the app wrote.
                let expired = response
                    .transmissions
                    .iter()
                    .flatten()
                    .any(|t| t.contains("token_expired"));
                Err(if expired {
                    DisconnectReason::TokenExpired
                } else {
                    DisconnectReason::Unauthorized
                })
            }
            Err(error) => {
                report(&self.sid, "connect", error);
                Err(DisconnectReason::Unauthorized)
            }
        }
    }

    /// The application call for a command, as a future that does not borrow the session.
    pub(super) fn application_call(
        &self,
        command: &str,
        identifier: &str,
        data: Option<String>,
    ) -> Option<PendingReply> {
        let call = AppCall {
            rpc: self.settings.rpc.clone()?,
            sid: Arc::clone(&self.sid),
            request: CommandRequest {
                command: command.into(),
                identifier: identifier.into(),
                connection_identifiers: self.identifiers.clone(),
                data,
                env: self.request_env(),
            },
        };
        Some(Box::pin(call.send()))
    }

    /// Applies an application's answer: state, streams, transmissions, and a possible disconnect.
    pub(super) async fn apply(&mut self, reply: AppReply, outbox: &Outbox) -> Option<Exit> {
        self.used_application = true;
        let subscribing = reply.command == "subscribe";
        let response = match reply.result {
            Ok(response) => response,
            Err(error) => {
                report(&self.sid, &reply.command, error);
                return self.reject_if(subscribing, &reply.identifier).await;
            }
        };
        if response.status == Status::Error {
            report(
                &self.sid,
                &reply.command,
                response.error_msg.as_deref().unwrap_or("status ERROR"),
            );
        }
        self.merge_env(response.env);
        let identifier: Arc<str> = Arc::from(reply.identifier);
        if subscribing && response.status == Status::Success {
            self.subscriptions
                .entry(Arc::clone(&identifier))
                .or_insert(Subscription {
                    streams: Vec::new(),
                    whisper: false,
                    application: true,
                });
        }
        // Streams change before the transmissions go out, so a broadcast that follows the
        // confirmation is not missed.
        if response.stop_streams {
            let streams = self
                .subscriptions
                .get(&identifier)
                .map(|s| s.streams.clone())
                .unwrap_or_default();
            for stream in streams {
                self.stop_stream_from(&identifier, &stream);
            }
        }
        for stream in response.stopped_streams.unwrap_or_default() {
            self.stop_stream_from(&identifier, &stream);
        }
        for stream in response.streams.unwrap_or_default() {
            self.stream_from(&identifier, stream, outbox);
        }
        let transmissions = response.transmissions.unwrap_or_default();
        let answered = !transmissions.is_empty();
        for transmission in transmissions {
            if !self.write(transmission.into()).await {
                return Some(Exit::Gone);
            }
        }
        if response.disconnect {
            return Some(Exit::Disconnect(
                DisconnectReason::Remote,
                CloseCode::Normal,
                "Closed by the application",
            ));
        }
        let rejected = subscribing && response.status != Status::Success;
        if rejected && !answered {
            return self.reject_if(true, &identifier).await;
        }
        None
    }

    async fn reject_if(&mut self, subscribing: bool, identifier: &str) -> Option<Exit> {
        if subscribing && !self.write(protocol::reject(identifier)).await {
            return Some(Exit::Gone);
        }
        None
    }

    /// Calls the application's `disconnect` once, unless it never saw this session (a JWT session
    /// that never used an application channel has nothing to clean up).
    pub(super) async fn tell_application_goodbye(&mut self, application_channels: Vec<String>) {
        let Some(rpc) = self.settings.rpc.clone() else {
            return;
        };
        if !self.connected_by_application && !self.used_application {
            return;
        }
        let request = DisconnectRequest {
            identifiers: self.identifiers.clone(),
            subscriptions: application_channels,
            env: self.request_env(),
        };
        match rpc.disconnect(&self.sid, &request).await {
            Ok(response) if response.status == Status::Success => {}
            Ok(response) => report(
                &self.sid,
                "disconnect",
                response.error_msg.unwrap_or_default(),
            ),
            Err(error) => report(&self.sid, "disconnect", error),
        }
    }
}
