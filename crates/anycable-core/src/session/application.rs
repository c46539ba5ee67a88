//! The session's side of application channels: the calls it asks for (`connect` for tokenless
//! clients, commands for application subscriptions, the final `disconnect`) as values the socket
//! loop sends, and what each reply does to the session.

use std::sync::Arc;

use super::core::{Effects, Session, Subscription};
use crate::protocol::{self, DisconnectReason};
use crate::rpc::{
    CommandRequest, CommandResponse, ConnectRequest, ConnectResponse, DisconnectRequest, Env,
    EnvResponse, Rpc, RpcError, Status,
};

/// A call for the application, ready to send without borrowing the session.
pub(super) struct AppCall {
    rpc: Rpc,
    sid: Arc<str>,
    pub(super) request: AppRequest,
}

/// What an [`AppCall`] asks.
pub(super) enum AppRequest {
    Connect(ConnectRequest),
    Command(CommandRequest),
}

/// The application's answer to an [`AppCall`], for [`Session::apply`].
pub(super) enum AppReply {
    Connect(Result<ConnectResponse, RpcError>),
    Command {
        command: String,
        identifier: String,
        result: Result<CommandResponse, RpcError>,
    },
}

impl AppCall {
    pub(super) async fn send(self) -> AppReply {
        match self.request {
            AppRequest::Connect(request) => {
                AppReply::Connect(self.rpc.connect(&self.sid, &request).await)
            }
            AppRequest::Command(request) => {
                let result = self.rpc.command(&self.sid, &request).await;
                AppReply::Command {
                    command: request.command,
                    identifier: request.identifier,
                    result,
                }
            }
        }
    }
}

/// The application's `disconnect` call at the end of a session; its answer changes nothing.
pub(super) struct Goodbye {
    rpc: Rpc,
    sid: Arc<str>,
    pub(super) request: DisconnectRequest,
}

impl Goodbye {
    pub(super) async fn send(self) {
        match self.rpc.disconnect(&self.sid, &self.request).await {
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

/// Application failures are the application's bugs: say so on stderr, never with a token.
fn report(sid: &str, what: &str, error: impl std::fmt::Display) {
    eprintln!("anycable-rs: application {what} failed (session {sid}): {error}");
}

impl Session {
    /// The request and state the application sees with each call.
    fn request_env(&self) -> Env {
        self.env.as_deref().cloned().unwrap_or_default()
    }

    fn merge_env(&mut self, changes: Option<EnvResponse>) {
        self.env.get_or_insert_with(Box::default).merge(changes);
    }

    fn call(&self, request: AppRequest) -> Option<AppCall> {
        Some(AppCall {
            rpc: self.settings.rpc.clone()?,
            sid: Arc::clone(&self.sid),
            request,
        })
    }

    /// Asks the application to accept a tokenless connection; `None` without an application.
    pub(super) fn connect_call(&self) -> Option<AppCall> {
        self.call(AppRequest::Connect(ConnectRequest {
            env: self.request_env(),
        }))
    }

    /// The application call for a command; `None` without an application.
    pub(super) fn command_call(
        &self,
        command: &str,
        identifier: &str,
        data: Option<String>,
    ) -> Option<AppCall> {
        self.call(AppRequest::Command(CommandRequest {
            command: command.into(),
            identifier: identifier.into(),
            connection_identifiers: self.identifiers.clone(),
            data,
            env: self.request_env(),
        }))
    }

    /// The `disconnect` call, unless the application never saw this session (a JWT session that
    /// never used an application channel has nothing to clean up).
    pub(super) fn goodbye(&self, application_channels: Vec<String>) -> Option<Goodbye> {
        let rpc = self.settings.rpc.clone()?;
        if !self.connected_by_application && !self.used_application {
            return None;
        }
        Some(Goodbye {
            rpc,
            sid: Arc::clone(&self.sid),
            request: DisconnectRequest {
                identifiers: self.identifiers.clone(),
                subscriptions: application_channels,
                env: self.request_env(),
            },
        })
    }

    /// Applies an application's answer.
    pub fn apply(&mut self, reply: AppReply) -> Effects {
        match reply {
            AppReply::Connect(result) => self.connected(result),
            AppReply::Command {
                command,
                identifier,
                result,
            } => self.answered(&command, identifier, result),
        }
    }

    /// The application's `connect`: welcomed with its transmissions, or refused.
    fn connected(&mut self, result: Result<ConnectResponse, RpcError>) -> Effects {
        match result {
            Ok(response) if response.status == Status::Success => {
                self.merge_env(response.env);
                self.identifiers = response.identifiers.unwrap_or_default();
                self.connected_by_application = true;
                // The application's transmissions include its welcome frame.
                Effects {
                    frames: frames(response.transmissions),
                    ..Effects::default()
                }
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
                Effects::end(if expired {
                    DisconnectReason::TokenExpired
                } else {
                    DisconnectReason::Unauthorized
                })
            }
            Err(error) => {
                report(&self.sid, "connect", error);
                Effects::end(DisconnectReason::Unauthorized)
            }
        }
    }

    /// A command's answer: state, streams, transmissions, and a possible disconnect.
    fn answered(
        &mut self,
        command: &str,
        identifier: String,
        result: Result<CommandResponse, RpcError>,
    ) -> Effects {
        self.used_application = true;
        let subscribing = command == "subscribe";
        let response = match result {
            Ok(response) => response,
            Err(error) => {
                report(&self.sid, command, error);
                return reject_if(subscribing, &identifier);
            }
        };
        if response.status == Status::Error {
            report(
                &self.sid,
                command,
                response.error_msg.as_deref().unwrap_or("status ERROR"),
            );
        }
        self.merge_env(response.env);
        let identifier: Arc<str> = Arc::from(identifier);
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
            self.stream_from(&identifier, stream);
        }
        let mut effects = Effects {
            frames: frames(response.transmissions),
            ..Effects::default()
        };
        if response.disconnect {
            effects.disconnect = Some(DisconnectReason::Remote);
        } else if subscribing && response.status != Status::Success && effects.frames.is_empty() {
            effects.frames.push(protocol::reject(&identifier));
        }
        effects
    }
}

fn frames(transmissions: Option<Vec<String>>) -> Vec<protocol::Frame> {
    transmissions
        .unwrap_or_default()
        .into_iter()
        .map(Into::into)
        .collect()
}

fn reject_if(subscribing: bool, identifier: &str) -> Effects {
    if subscribing {
        Effects::send(protocol::reject(identifier))
    } else {
        Effects::default()
    }
}
