//! The session's side of application channels: the calls it asks for (`connect` for tokenless
//! clients, commands for application subscriptions, the final `disconnect`) as values the socket
//! loop sends, and what each reply does to the session.

use std::sync::Arc;

use super::core::{Effects, Session, Subscription};
use super::history::HistoryAsk;
use super::presence::Presence;
use crate::log::{log, Log};
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
    /// A subscribe's history request, answered once the application confirms.
    pub(super) history: Option<HistoryAsk>,
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
        /// The subscribe's history request, carried through the call.
        history: Option<HistoryAsk>,
    },
}

impl AppCall {
    /// The call, with the history request to answer after a confirmed subscribe.
    pub(super) fn then_history(self, history: Option<HistoryAsk>) -> AppCall {
        AppCall { history, ..self }
    }

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
                    history: self.history,
                }
            }
        }
    }
}

/// The application's `disconnect` call at the end of a session; its answer changes nothing.
pub(super) struct Goodbye {
    rpc: Rpc,
    log: Log,
    sid: Arc<str>,
    pub(super) request: DisconnectRequest,
}

impl Goodbye {
    pub(super) async fn send(self) {
        match self.rpc.disconnect(&self.sid, &self.request).await {
            Ok(response) if response.status == Status::Success => {}
            Ok(response) => report(
                &self.log,
                &self.sid,
                "disconnect",
                response.error_msg.unwrap_or_default(),
            ),
            Err(error) => report(&self.log, &self.sid, "disconnect", error),
        }
    }
}

/// Application failures are the application's bugs: say so at `warn`, never with a token.
fn report(log: &Log, sid: &str, what: &str, error: impl std::fmt::Display) {
    log!(
        log,
        Warn,
        format!("application {what} failed"),
        sid = sid,
        call = what,
        error = error,
    );
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
            history: None,
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
            log: self.settings.log.clone(),
            sid: Arc::clone(&self.sid),
            request: DisconnectRequest {
                identifiers: self.identifiers.clone(),
                subscriptions: application_channels,
                env: self.request_env(),
            },
        })
    }

    /// Applies an application's answer.
    pub(super) fn apply(&mut self, reply: AppReply) -> Effects {
        match reply {
            AppReply::Connect(result) => self.connected(result),
            AppReply::Command {
                command,
                identifier,
                result,
                history,
            } => {
                let subscribed = command == "subscribe"
                    && result
                        .as_ref()
                        .is_ok_and(|response| response.status == Status::Success);
                let effects = self.answered(&command, identifier.clone(), result);
                if subscribed && effects.disconnect.is_none() {
                    self.then_history(effects, &identifier, history)
                } else {
                    effects
                }
            }
        }
    }

    /// The application's `connect`: welcomed with its transmissions, or refused.
    fn connected(&mut self, result: Result<ConnectResponse, RpcError>) -> Effects {
        match result {
            Ok(response) if response.status == Status::Success => {
                self.merge_env(response.env);
                self.identifiers = response.identifiers.unwrap_or_default();
                self.connected_by_application = true;
                // The application's transmissions include its welcome frame; a restored
                // session is welcomed with the restored welcome instead.
                self.welcome_or_restore(frames(response.transmissions))
            }
            Ok(response) => {
                if response.status == Status::Error {
                    report(
                        &self.settings.log,
                        &self.sid,
                        "connect",
                        response.error_msg.as_deref().unwrap_or_default(),
                    );
                }
                // The frame is sent by the session with `reconnect:false`, whatever the app wrote.
                let expired = response
                    .transmissions
                    .iter()
                    .flatten()
                    .any(|t| t.contains("token_expired"));
                let reason = if expired {
                    DisconnectReason::TokenExpired
                } else {
                    DisconnectReason::Unauthorized
                };
                log!(
                    self.settings.log,
                    Debug,
                    "connection refused",
                    sid = self.sid,
                    reason = reason.as_str(),
                    why = "the application's connect refused it",
                );
                Effects::end(reason)
            }
            Err(error) => {
                report(&self.settings.log, &self.sid, "connect", error);
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
                report(&self.settings.log, &self.sid, command, error);
                return reject_if(subscribing, &identifier);
            }
        };
        if response.status == Status::Error {
            report(
                &self.settings.log,
                &self.sid,
                command,
                response.error_msg.as_deref().unwrap_or("status ERROR"),
            );
        }
        self.merge_env(response.env);
        let identifier: Arc<str> = Arc::from(identifier);
        if subscribing && response.status == Status::Success {
            self.subscriptions
                .get_or_insert_with(Arc::clone(&identifier), || Subscription {
                    streams: Vec::new(),
                    whisper: false,
                    application: true,
                    // Application channels have no presence stream (no `$p` state here).
                    presence: Presence::Forbidden,
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

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::identity::Verdict;
    use crate::protocol::Command;
    use serde_json::json;

    /// A token session asking the application to subscribe to `chat(1)`, and the call.
    fn subscribing(server: &mut Server) -> (Client, AppCall) {
        let mut client = server.client();
        let effects = client.session.handle(Command::Subscribe {
            identifier: chat(1),
            history: None,
            presence: None,
        });
        (client, effects.call.expect("an application channel"))
    }

    /// A token session subscribed to `chat(1)` with no streams.
    fn subscribed(server: &mut Server) -> Client {
        let (mut client, call) = subscribing(server);
        let _ = client.session.apply(answer(call, json!({"status": 1})));
        client
    }

    fn perform(client: &mut Client) -> AppCall {
        let effects = client.session.handle(Command::Message {
            identifier: chat(1),
            data: r#"{"action":"speak"}"#.into(),
        });
        effects.call.expect("the application performs")
    }

    #[test]
    fn a_confirmed_subscription_streams_before_its_transmissions_go_out() {
        let mut server = Server::new(options(), true);
        let (mut client, call) = subscribing(&mut server);
        let confirm = confirmed(&chat(1));
        let effects = client.session.apply(answer(
            call,
            json!({"status": 1, "streams": ["room:1"], "transmissions": [confirm]}),
        ));
        assert_eq!(texts(&effects), [confirm.as_str()]);
        assert!(effects.disconnect.is_none() && effects.call.is_none());
        assert_eq!(server.broadcast("room:1", 3), 1);
        assert_eq!(client.received(), Some(broadcast_frame(&chat(1), 3)));
    }

    #[test]
    fn a_refused_or_failed_subscription_is_rejected_once_and_not_kept() {
        let mut server = Server::new(options(), true);
        for status in [0, 2] {
            let (mut client, call) = subscribing(&mut server);
            let effects = client
                .session
                .apply(answer(call, json!({"status": status})));
            assert_eq!(texts(&effects), [rejected(&chat(1))], "status {status}");
            let message = client.session.handle(Command::Message {
                identifier: chat(1),
                data: "{}".into(),
            });
            assert!(
                message.call.is_none(),
                "not subscribed after status {status}"
            );
        }
        // The application's own reject frame is sent instead of ours.
        let (mut client, call) = subscribing(&mut server);
        let own = r#"{"type":"reject_subscription","identifier":"own"}"#;
        let effects = client
            .session
            .apply(answer(call, json!({"status": 2, "transmissions": [own]})));
        assert_eq!(texts(&effects), [own]);
        // An application that throws or times out rejects the subscribe.
        let (mut client, call) = subscribing(&mut server);
        let effects = client.session.apply(failure(call));
        assert_eq!(texts(&effects), [rejected(&chat(1))]);
    }

    #[test]
    fn a_failed_perform_sends_nothing_and_keeps_the_subscription() {
        let mut server = Server::new(options(), true);
        let mut client = subscribed(&mut server);
        let call = perform(&mut client);
        let effects = client.session.apply(failure(call));
        assert!(effects.frames.is_empty() && effects.disconnect.is_none());
        let _ = perform(&mut client);
    }

    #[test]
    fn replies_start_and_stop_streams() {
        let mut server = Server::new(options(), true);
        let mut client = subscribed(&mut server);
        let call = perform(&mut client);
        let _ = client.session.apply(answer(
            call,
            json!({"status": 1, "streams": ["a", "b", "c", "a"]}),
        ));
        assert_eq!(server.hub.stats().subscriptions, 3, "a is streamed once");
        let call = perform(&mut client);
        let _ = client
            .session
            .apply(answer(call, json!({"status": 1, "stopped_streams": ["b"]})));
        assert_eq!(server.broadcast("b", 1), 0);
        assert_eq!(server.broadcast("a", 1), 1);
        let call = perform(&mut client);
        let _ = client.session.apply(answer(
            call,
            json!({"status": 1, "stop_streams": true, "streams": ["d"]}),
        ));
        assert_eq!(server.broadcast("a", 2), 0);
        assert_eq!(server.broadcast("c", 2), 0);
        assert_eq!(
            server.broadcast("d", 2),
            1,
            "new streams follow stop_streams"
        );
    }

    #[test]
    fn transmissions_go_out_in_order_and_a_disconnect_follows_them() {
        let mut server = Server::new(options(), true);
        let mut client = subscribed(&mut server);
        let call = perform(&mut client);
        let effects = client.session.apply(answer(
            call,
            json!({"status": 1, "transmissions": ["1", "2", "3"]}),
        ));
        assert_eq!(texts(&effects), ["1", "2", "3"]);
        assert_eq!(effects.disconnect, None);
        let call = perform(&mut client);
        let effects = client.session.apply(answer(
            call,
            json!({"status": 1, "transmissions": ["bye"], "disconnect": true}),
        ));
        assert_eq!(texts(&effects), ["bye"]);
        assert_eq!(effects.disconnect, Some(DisconnectReason::Remote));
    }

    #[test]
    fn state_the_application_sets_comes_back_with_the_next_call() {
        let mut server = Server::new(options(), true);
        let mut client = subscribed(&mut server);
        let call = perform(&mut client);
        let _ = client.session.apply(answer(
            call,
            json!({"status": 1, "env": {"cstate": {"user": "u1"}, "istate": {"chat": "1"}}}),
        ));
        let call = perform(&mut client);
        let env = &command(&call).env;
        assert_eq!(env.cstate.as_ref().unwrap()["user"], "u1");
        assert_eq!(env.istate.as_ref().unwrap()["chat"], "1");
    }

    #[test]
    fn connect_welcomes_with_the_applications_transmissions_and_identifiers() {
        let mut server = Server::new(options(), true);
        let (mut client, opening) = server.open(Verdict::AskApplication);
        assert!(opening.frames.is_empty());
        let call = opening.call.expect("the application decides");
        assert!(matches!(call.request, AppRequest::Connect(_)));
        let welcome = r#"{"type":"welcome"}"#;
        let effects = client.session.apply(answer(
            call,
            json!({"status": 1, "identifiers": r#"{"user":"app"}"#, "transmissions": [welcome]}),
        ));
        assert_eq!(texts(&effects), [welcome]);
        assert_eq!(effects.disconnect, None);
        // Commands carry the identifiers; the application hears of the session's end.
        let call = client
            .session
            .handle(Command::Subscribe {
                identifier: chat(1),
                history: None,
                presence: None,
            })
            .call
            .unwrap();
        assert_eq!(command(&call).connection_identifiers, r#"{"user":"app"}"#);
        let goodbye = client
            .session
            .finish()
            .expect("connected by the application");
        assert!(goodbye.request.subscriptions.is_empty());
    }

    #[test]
    fn a_refused_connect_disconnects_as_unauthorized_or_token_expired() {
        let mut server = Server::new(options(), true);
        let expired = r#"{"type":"disconnect","reason":"token_expired"}"#;
        for (response, reason) in [
            (json!({"status": 2}), DisconnectReason::Unauthorized),
            (json!({"status": 0}), DisconnectReason::Unauthorized),
            (
                json!({"status": 2, "transmissions": [expired]}),
                DisconnectReason::TokenExpired,
            ),
        ] {
            let (mut client, opening) = server.open(Verdict::AskApplication);
            let effects = client
                .session
                .apply(answer(opening.call.unwrap(), response));
            assert!(effects.frames.is_empty(), "the session sends its own frame");
            assert_eq!(effects.disconnect, Some(reason));
        }
        let (mut client, opening) = server.open(Verdict::AskApplication);
        let effects = client.session.apply(failure(opening.call.unwrap()));
        assert_eq!(effects.disconnect, Some(DisconnectReason::Unauthorized));
    }
}
