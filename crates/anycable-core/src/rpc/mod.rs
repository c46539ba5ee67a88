//! Channels written in application code, reached through AnyCable's RPC shapes: `connect` for
//! tokenless connections, `command` for subscribe / unsubscribe / perform, `disconnect` at the end.
//! The shapes are the same whether the application runs in this process (the napi layer provides
//! a transport into JS) or behind an RPC-over-HTTP endpoint ([`HttpTransport`]).

mod http;
mod messages;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::Semaphore;

use crate::metrics::CallMetrics;
pub(crate) use http::HttpTransport;
pub use http::MAX_RPC_RESPONSE_BYTES;
pub(crate) use messages::{
    CommandRequest, CommandResponse, ConnectRequest, ConnectResponse, DisconnectRequest,
    DisconnectResponse, Env, EnvResponse, Status,
};

/// The three RPC calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Connect,
    Command,
    Disconnect,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Connect => "connect",
            Method::Command => "command",
            Method::Disconnect => "disconnect",
        }
    }
}

pub type CallFuture = Pin<Box<dyn Future<Output = Result<String, RpcError>> + Send>>;

/// Carries one JSON request to the application and brings its JSON response back.
pub trait Transport: Send + Sync {
    fn call(&self, method: Method, sid: &str, request: String) -> CallFuture;
}

/// A failed call: the application threw, timed out, answered badly or could not be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcError(pub String);

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RpcError {}

/// Typed calls over a transport, bounded in concurrency and time.
#[derive(Clone)]
pub struct Rpc {
    transport: Arc<dyn Transport>,
    in_flight: Arc<Semaphore>,
    timeout: Duration,
    /// This server's calls, errors, timeouts, waits and durations.
    pub(crate) metrics: Arc<CallMetrics>,
}

impl Rpc {
    pub fn new(transport: Arc<dyn Transport>, concurrency: usize, timeout: Duration) -> Rpc {
        Rpc {
            transport,
            in_flight: Arc::new(Semaphore::new(concurrency)),
            timeout,
            metrics: Arc::default(),
        }
    }

    pub async fn connect(
        &self,
        sid: &str,
        request: &ConnectRequest,
    ) -> Result<ConnectResponse, RpcError> {
        self.call(Method::Connect, sid, request).await
    }

    pub async fn command(
        &self,
        sid: &str,
        request: &CommandRequest,
    ) -> Result<CommandResponse, RpcError> {
        self.call(Method::Command, sid, request).await
    }

    pub async fn disconnect(
        &self,
        sid: &str,
        request: &DisconnectRequest,
    ) -> Result<DisconnectResponse, RpcError> {
        self.call(Method::Disconnect, sid, request).await
    }

    async fn call<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        method: Method,
        sid: &str,
        request: &Req,
    ) -> Result<Resp, RpcError> {
        let metrics = &self.metrics;
        let started = Instant::now();
        metrics.calls.inc();
        let outcome = self.timed_call(method, sid, request).await;
        metrics.duration.observe_duration(started.elapsed());
        if outcome.is_err() {
            metrics.errors.inc();
        }
        outcome
    }

    async fn timed_call<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        method: Method,
        sid: &str,
        request: &Req,
    ) -> Result<Resp, RpcError> {
        let body = serde_json::to_string(request).expect("RPC requests always serialise");
        let call = async {
            let _permit = {
                let _waiting = Waiting::start(&self.metrics);
                self.in_flight
                    .acquire()
                    .await
                    .map_err(|_| RpcError("RPC is shut down".into()))?
            };
            self.transport.call(method, sid, body).await
        };
        let text = tokio::time::timeout(self.timeout, call)
            .await
            .map_err(|_| {
                self.metrics.timeouts.inc();
                RpcError(format!(
                    "{} timed out after {:?}",
                    method.as_str(),
                    self.timeout
                ))
            })??;
        serde_json::from_str(&text).map_err(|error| {
            RpcError(format!(
                "{} returned an invalid response: {error}",
                method.as_str()
            ))
        })
    }
}

/// Counts a call as pending while it waits for a slot, however the wait ends (a timeout drops it).
struct Waiting<'a>(&'a CallMetrics);

impl<'a> Waiting<'a> {
    fn start(metrics: &'a CallMetrics) -> Waiting<'a> {
        metrics.pending.inc();
        Waiting(metrics)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.pending.dec();
    }
}
