//! Fixtures for the session core's unit tests: sessions on a real hub, each with the receiving end
//! of its outbox (where the hub's broadcasts and whispers land), and application replies made from
//! canned JSON.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use serde_json::value::RawValue;

use super::application::{AppCall, AppReply, AppRequest};
use super::core::{Effects, Session};
use super::history::Admit;
use super::SessionSettings;
use crate::broker::memory::MemoryBroker;
use crate::broker::{Broker, BrokerSettings};
use crate::channels::ChannelSettings;
use crate::hub::{Hub, SessionId};
use crate::identity::Verdict;
use crate::log::Log;
use crate::outbox::{Outbox, OutboxReceiver};
use crate::protocol::{self, Frame};
use crate::rpc::{CallFuture, CommandRequest, Method, Rpc, RpcError, Transport};
use crate::streams::StreamSigner;
use futures_util::FutureExt;

const SECRET: &str = "s";

/// Session settings with a streams secret, public and Turbo streams on, and the default bounds.
pub(super) fn options() -> SessionSettings {
    SessionSettings {
        ping_interval: Duration::from_secs(3),
        outgoing_queue: 1024,
        max_outgoing_bytes: 1 << 20,
        max_subscriptions: 1000,
        command_rate: 100,
        pong_timeout: Duration::ZERO,
        presence_ttl: Duration::from_secs(15),
        disconnect_on_token_expiry: false,
        channels: ChannelSettings {
            stream_signer: Some(StreamSigner::new(SECRET.as_bytes()).unwrap()),
            public_streams: true,
            public_streams_prefix: Vec::new(),
            turbo_streams: true,
            streams_whisper: false,
            streams_presence: true,
        },
        rpc: None,
        log: Log::stderr(),
    }
}

/// A transport the core never uses: the core only describes calls, the tests answer them.
struct Unsent;

impl Transport for Unsent {
    fn call(&self, _: Method, _: &str, _: String) -> CallFuture {
        Box::pin(async { Err(RpcError("unit tests answer calls themselves".into())) })
    }
}

/// Sessions on one hub.
pub(super) struct Server {
    pub hub: Arc<Hub>,
    pub broker: Option<Arc<dyn Broker>>,
    settings: Arc<SessionSettings>,
    next_id: SessionId,
}

/// A session and the frames the hub queued for it.
pub(super) struct Client {
    pub session: Session,
    pub outbox: OutboxReceiver,
}

impl Server {
    /// A server with `settings`; with `application`, channels other than streams go to it.
    pub(super) fn new(mut settings: SessionSettings, application: bool) -> Server {
        if application {
            settings.rpc = Some(Rpc::new(Arc::new(Unsent), 1, Duration::from_secs(5)));
        }
        Server {
            hub: Arc::new(Hub::default()),
            broker: None,
            settings: Arc::new(settings),
            next_id: 1,
        }
    }

    /// A server with a memory broker keeping `history_limit` messages per stream.
    pub(super) fn with_broker(settings: SessionSettings, history_limit: usize) -> Server {
        let broker = MemoryBroker::new(BrokerSettings {
            history_limit,
            ..BrokerSettings::default()
        });
        Server {
            broker: Some(Arc::new(broker)),
            ..Server::new(settings, false)
        }
    }

    /// A session opened with `verdict`; its opening effects are returned beside it.
    pub(super) fn open(&mut self, verdict: Verdict) -> (Client, Effects) {
        self.open_resumable(verdict, false, None)
    }

    /// A session opened with `verdict` that is `resumable` (an extended-protocol one) and asks
    /// to restore `restore_sid`; its opening effects are returned beside it.
    pub(super) fn open_resumable(
        &mut self,
        verdict: Verdict,
        resumable: bool,
        restore_sid: Option<&str>,
    ) -> (Client, Effects) {
        let id = self.next_id;
        self.next_id += 1;
        let (outbox, receiver) = Outbox::new(16, usize::MAX);
        let mut session = Session::new(
            id,
            Arc::from(format!("sid-{id}")),
            None,
            Arc::clone(&self.settings),
            Arc::clone(&self.hub),
            outbox,
            self.broker.clone(),
        );
        session.resumption.resumable = resumable;
        session.resumption.restore_sid = restore_sid.map(Box::from);
        let opening = session.open(verdict);
        let client = Client {
            session,
            outbox: receiver,
        };
        (client, opening)
    }

    /// A session identified by a token (welcomed at once).
    pub(super) fn client(&mut self) -> Client {
        self.open(Verdict::Identified {
            identifiers: r#"{"user":"u1"}"#.into(),
            expires_at: None,
        })
        .0
    }

    /// Broadcasts `{"n":n}` to `stream`; how many sessions took it.
    pub(super) fn broadcast(&self, stream: &str, n: u32) -> usize {
        let message = RawValue::from_string(json!({ "n": n }).to_string()).unwrap();
        self.hub.broadcast(stream, &message, None, None)
    }

    /// Registers `{"n":n}` on `stream` with the broker, then fans it out with its position (what
    /// the dispatcher does); returns the offset.
    pub(super) fn publish(&self, stream: &str, n: u32) -> u64 {
        let data = json!({ "n": n }).to_string();
        let broker = self.broker.as_ref().expect("a server with a broker");
        let position = broker
            .register(stream, Arc::from(data.as_str()))
            .now_or_never()
            .expect("the memory broker answers at once")
            .expect("registered");
        let message = RawValue::from_string(data).unwrap();
        self.hub.broadcast(stream, &message, None, Some(&position));
        position.offset
    }
}

impl Client {
    /// The next frame the hub queued for this client.
    pub(super) fn received(&mut self) -> Option<String> {
        self.outbox
            .try_recv()
            .map(|queued| queued.frame.as_str().to_owned())
    }

    /// What the socket loop would write of the frames queued so far (see `Session::admit`).
    pub(super) fn delivered(&mut self) -> Vec<String> {
        let mut written = Vec::new();
        while let Some(queued) = self.outbox.try_recv() {
            if let Admit::Write(frame) = self.session.admit(queued) {
                written.push(frame.as_str().to_owned());
            }
        }
        written
    }
}

/// The frames of `effects` as text.
pub(super) fn texts(effects: &Effects) -> Vec<&str> {
    effects.frames.iter().map(Frame::as_str).collect()
}

/// The frame confirming a subscription.
pub(super) fn confirmed(identifier: &str) -> String {
    protocol::confirm(identifier).as_str().to_owned()
}

/// The frame rejecting a subscription.
pub(super) fn rejected(identifier: &str) -> String {
    protocol::reject(identifier).as_str().to_owned()
}

/// The command request of an application call.
pub(super) fn command(call: &AppCall) -> &CommandRequest {
    match &call.request {
        AppRequest::Command(request) => request,
        AppRequest::Connect(_) => panic!("a command call, not connect"),
    }
}

/// The application's answer `response` (JSON) to `call`.
pub(super) fn answer(call: AppCall, response: serde_json::Value) -> AppReply {
    match call.request {
        AppRequest::Connect(_) => AppReply::Connect(Ok(from_json(response))),
        AppRequest::Command(request) => AppReply::Command {
            command: request.command,
            identifier: request.identifier,
            result: Ok(from_json(response)),
            history: call.history,
        },
    }
}

/// `call` failed (the application threw or timed out).
pub(super) fn failure(call: AppCall) -> AppReply {
    let error = RpcError("boom".into());
    match call.request {
        AppRequest::Connect(_) => AppReply::Connect(Err(error)),
        AppRequest::Command(request) => AppReply::Command {
            command: request.command,
            identifier: request.identifier,
            result: Err(error),
            history: call.history,
        },
    }
}

fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("a valid RPC response")
}

/// A `$pubsub` identifier for a public stream.
pub(super) fn public(stream: &str) -> String {
    json!({"channel": "$pubsub", "stream_name": stream}).to_string()
}

/// An identifier for a stream name signed with `secret`.
pub(super) fn signed(channel: &str, stream: &str, secret: &str) -> String {
    let name = StreamSigner::new(secret.as_bytes()).unwrap().sign(stream);
    json!({"channel": channel, "signed_stream_name": name}).to_string()
}

/// An identifier signed with the server's secret.
pub(super) fn signed_ok(channel: &str, stream: &str) -> String {
    signed(channel, stream, SECRET)
}

/// An application channel's identifier.
pub(super) fn chat(room: u32) -> String {
    json!({"channel": "ChatChannel", "room": room}).to_string()
}

/// The frame the hub queues for a broadcast of `{"n":n}` on a subscription `identifier`.
pub(super) fn broadcast_frame(identifier: &str, n: u32) -> String {
    json!({"identifier": identifier, "message": {"n": n}}).to_string()
}
