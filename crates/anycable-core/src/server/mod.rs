//! The listener: one port serving the WebSocket endpoint, `/health`, `/_broadcast` and the
//! metrics (unless they have a port of their own), with a graceful shutdown that tells every
//! client to reconnect.

mod accept;
mod http;
mod metrics;
mod metrics_listener;
mod pending;
mod presence;
mod response;
mod settings;
mod sweeper;
mod websocket;

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::broadcast::redis::{self as redis_bridge, RedisTasks};
use crate::broadcast::redisx::{self, RedisxTasks};
use crate::broadcast::{start_fanout_listener, Dispatcher, LocalDelivery, Overloaded, Publication};
use crate::broker::memory::MemoryBroker;
use crate::broker::redis::RedisBroker;
use crate::broker::Broker;
use crate::config_error::ConfigError;
use crate::hub::Hub;
use crate::log::log;
use crate::metrics::Counter;
use crate::pings::Pinger;
use crate::redis_link::{redact, Link, RedisHealth, RedisStats};
use pending::{Pending, PendingConnections};
pub use presence::{PresenceUnavailable, PresentId, StreamPresence};
pub use settings::BroadcastAuth;
pub(crate) use settings::{MetricsEndpoint, ServerSettings};

/// How long `shutdown` waits for sessions to say goodbye before returning anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// State shared by the listener, every HTTP connection and every session.
struct Shared {
    settings: ServerSettings,
    hub: Arc<Hub>,
    /// History, the session cache and presence; `None` with `broker: "none"`.
    broker: Option<Arc<dyn Broker>>,
    dispatcher: Dispatcher,
    /// Redis connection state and counters, when Redis is used.
    redis_health: Option<Arc<RedisHealth>>,
    shutdown: watch::Sender<bool>,
    /// Pings the sessions (one ticker for the server, not a timer per session).
    pinger: Arc<Pinger>,
    connections: AtomicUsize,
    /// Signalled when the last session ends.
    drained: Notify,
    next_session: AtomicU64,
    /// Connections that have not finished their request or upgrade yet.
    pending: Arc<PendingConnections>,
    /// HTTP broadcasts refused as invalid (`failed_broadcast_msg_total`).
    failed_broadcasts: Counter,
}

/// A running cable server.
pub struct CableServer {
    shared: Arc<Shared>,
    local_addr: SocketAddr,
    /// Taken (and awaited) by `shutdown`, so the port is free when it returns.
    accept_loop: std::sync::Mutex<Option<JoinHandle<()>>>,
    /// Redis subscription and publishing, when configured; stopped with the server.
    redis: std::sync::Mutex<Option<RedisTasks>>,
    /// The `redisx` reader, when it is the broadcast adapter; stopped with the server.
    redisx: std::sync::Mutex<Option<RedisxTasks>>,
    /// The Redis broker's fan-out listener; stopped with the server.
    fanout: std::sync::Mutex<Option<JoinHandle<()>>>,
    /// Frees the broker's expired history every second; stopped with the server.
    sweeper: Option<JoinHandle<()>>,
    /// The pinger's ticker; stopped with the server.
    pings: JoinHandle<()>,
    /// The metrics' own listener, with `metricsPort`; stopped with the server.
    metrics_listener: std::sync::Mutex<Option<JoinHandle<()>>>,
    /// The metrics URL, when they are served.
    metrics_url: Option<String>,
}

/// Counts for monitoring and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerStats {
    pub connections: usize,
    pub streams: usize,
    pub subscriptions: usize,
    /// With Redis configured: whether it is connected, and publications dropped on their way to
    /// the other nodes.
    pub redis: Option<RedisStats>,
}

#[derive(Debug)]
pub enum ServerError {
    Config(ConfigError),
    Bind {
        address: String,
        source: std::io::Error,
    },
    Redis(String),
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerError::Config(error) => error.fmt(f),
            ServerError::Bind { address, source }
                if source.kind() == std::io::ErrorKind::AddrInUse =>
            {
                write!(
                    f,
                    "cannot listen on {address}: the address is already in use"
                )
            }
            ServerError::Bind { address, source } => {
                write!(f, "cannot listen on {address}: {source}")
            }
            ServerError::Redis(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for ServerError {}

impl From<ConfigError> for ServerError {
    fn from(error: ConfigError) -> Self {
        ServerError::Config(error)
    }
}

impl CableServer {
    /// Binds and starts serving on the current tokio runtime (`config` resolves the options into
    /// `settings`; see [`CableServer::start`]).
    pub(crate) async fn serve(settings: ServerSettings) -> Result<CableServer, ServerError> {
        let bind_error = bind_error_for(&settings.host, settings.port);
        let listener = listen(&settings.host, settings.port)
            .await
            .map_err(&bind_error)?;
        let local_addr = listener.local_addr().map_err(bind_error)?;
        let (metrics_listener, metrics_url) = metrics_listener::bind(&settings, local_addr).await?;
        let hub = Arc::new(Hub::default());
        let redis_health = redis_health(&settings);
        let broker: Option<Arc<dyn Broker>> = match (settings.broker, &settings.redis_broker) {
            (Some(kept), Some(redis)) => {
                let health = redis_health.clone().expect("the broker uses Redis");
                let broker = RedisBroker::connect(redis, kept, health)
                    .await
                    .map_err(ServerError::Redis)?;
                Some(Arc::new(broker))
            }
            (Some(kept), None) => Some(Arc::new(MemoryBroker::new(kept))),
            (None, _) => None,
        };
        let local = LocalDelivery::new(
            Arc::clone(&hub),
            broker.clone(),
            redis_health.clone(),
            settings.log.clone(),
        );
        let fanout = match (&broker, &settings.redis_broker) {
            (Some(broker), Some(redis)) if broker.fans_out() => {
                let health = redis_health.clone().expect("the broker uses Redis");
                let listener =
                    start_fanout_listener(&redis.url, Arc::clone(&hub), Arc::clone(broker), health)
                        .await
                        .map_err(ServerError::Redis)?;
                Some(listener)
            }
            _ => None,
        };
        let (publisher, redis) = match &settings.redis {
            Some(redis) => {
                let health = redis_health.clone().expect("pub/sub uses Redis");
                let (publisher, tasks) = redis_bridge::start(redis, local.clone(), health)
                    .await
                    .map_err(ServerError::Redis)?;
                (publisher, Some(tasks))
            }
            None => (None, None),
        };
        let dispatcher = Dispatcher::new(local, publisher);
        let redisx = match (&settings.redisx, &redis_health) {
            (Some(redisx), Some(health)) => Some(
                redisx::start(redisx, dispatcher.clone(), Arc::clone(health))
                    .await
                    .map_err(ServerError::Redis)?,
            ),
            _ => None,
        };
        let sweeper = broker.clone().map(|broker| {
            let log = settings.log.clone();
            tokio::spawn(sweeper::sweep(broker, Arc::clone(&hub), log))
        });
        let pending = Arc::new(PendingConnections::new(settings.max_pending_connections));
        let pinger = Arc::new(Pinger::new(
            settings.session.ping_interval,
            Arc::clone(&hub),
        ));
        let pings = tokio::spawn(Arc::clone(&pinger).run());
        let shared = Arc::new(Shared {
            settings,
            broker,
            dispatcher,
            redis_health,
            hub,
            shutdown: watch::Sender::new(false),
            pinger,
            connections: AtomicUsize::new(0),
            drained: Notify::new(),
            next_session: AtomicU64::new(1),
            pending,
            failed_broadcasts: Counter::default(),
        });
        let metrics_listener = metrics_listener
            .map(|listener| tokio::spawn(metrics_listener::serve(listener, Arc::clone(&shared))));
        log_start(&shared.settings, local_addr);
        let accept_loop = tokio::spawn(accept::accept(listener, Arc::clone(&shared)));
        Ok(CableServer {
            shared,
            local_addr,
            accept_loop: std::sync::Mutex::new(Some(accept_loop)),
            redis: std::sync::Mutex::new(redis),
            redisx: std::sync::Mutex::new(redisx),
            fanout: std::sync::Mutex::new(fanout),
            sweeper,
            pings,
            metrics_listener: std::sync::Mutex::new(metrics_listener),
            metrics_url,
        })
    }

    /// Where the Prometheus metrics are served (`http://host:port/path`), when they are.
    pub fn metrics_url(&self) -> Option<&str> {
        self.metrics_url.as_deref()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The WebSocket URL clients connect to.
    pub fn url(&self) -> String {
        format!("ws://{}{}", self.local_addr, self.shared.settings.path)
    }

    pub fn settings(&self) -> &ServerSettings {
        &self.shared.settings
    }

    /// Broadcasts a publication: to this server's subscribers, or to every node's through Redis
    /// pub/sub or the Redis broker when configured. Never waits; see [`CableServer::try_publish`]
    /// for a full queue.
    pub fn publish(&self, publication: Publication) {
        if let Err(overloaded) = self.try_publish(publication) {
            log!(
                self.shared.settings.log,
                Error,
                "a broadcast was dropped",
                reason = overloaded,
            );
        }
    }

    /// As [`CableServer::publish`], but says when the publication was dropped because the queue of
    /// publications waiting for their history position is full.
    pub fn try_publish(&self, publication: Publication) -> Result<(), Overloaded> {
        self.shared.dispatcher.publish(publication)
    }

    pub fn stats(&self) -> ServerStats {
        let hub = self.shared.hub.stats();
        ServerStats {
            connections: self.shared.connections.load(Ordering::Relaxed),
            streams: hub.streams,
            subscriptions: hub.subscriptions,
            redis: self
                .shared
                .redis_health
                .as_ref()
                .map(|health| health.stats()),
        }
    }

    /// Stops accepting, sends `server_restart` and Close 1001 to every client, and waits (a
    /// bounded time) for the sessions to finish.
    pub async fn shutdown(&self) {
        let metrics = self.metrics_listener.lock().expect("metrics lock").take();
        if let Some(metrics) = metrics {
            metrics.abort();
            let _ = metrics.await;
        }
        let accept_loop = self.accept_loop.lock().expect("accept lock").take();
        if let Some(accept_loop) = accept_loop {
            accept_loop.abort();
            // Aborting only asks; the listener is closed once the task is gone.
            let _ = accept_loop.await;
        }
        // Another node takes over reading at once rather than after the lease's ttl.
        let redisx = self.redisx.lock().expect("redisx lock").take();
        if let Some(redisx) = redisx {
            redisx.stop().await;
        }
        self.shared.shutdown.send_replace(true);
        let drained = async {
            loop {
                let notified = self.shared.drained.notified();
                if self.shared.connections.load(Ordering::Acquire) == 0 {
                    return;
                }
                notified.await;
            }
        };
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, drained).await;
        self.redis.lock().expect("redis lock").take();
        if let Some(fanout) = self.fanout.lock().expect("fan-out lock").take() {
            fanout.abort();
        }
    }
}

impl Drop for CableServer {
    fn drop(&mut self) {
        if let Some(sweeper) = &self.sweeper {
            sweeper.abort();
        }
        self.pings.abort();
        if let Some(metrics) = self.metrics_listener.lock().expect("metrics lock").take() {
            metrics.abort();
        }
        if let Some(fanout) = self.fanout.lock().expect("fan-out lock").take() {
            fanout.abort();
        }
        if let Some(accept_loop) = self.accept_loop.lock().expect("accept lock").take() {
            accept_loop.abort();
        }
        self.shared.shutdown.send_replace(true);
    }
}

/// Where the server listens and what it uses, at `info`; a Redis URL without its password.
fn log_start(settings: &ServerSettings, local_addr: SocketAddr) {
    let redis = (settings.redis.as_ref().map(|redis| redis.url.as_str()))
        .or(settings.redisx.as_ref().map(|redisx| redisx.url.as_str()))
        .or(settings
            .redis_broker
            .as_ref()
            .map(|broker| broker.url.as_str()));
    log!(
        settings.log,
        Info,
        "server started",
        url = format!("ws://{local_addr}{}", settings.path),
        broker = match (&settings.broker, &settings.redis_broker) {
            (None, _) => "none",
            (Some(_), None) => "memory",
            (Some(_), Some(_)) => "redis",
        },
        redis = redis.map_or_else(|| "none".to_owned(), redact),
    );
}

/// One health for every Redis connection the settings use; `None` without Redis.
fn redis_health(settings: &ServerSettings) -> Option<Arc<RedisHealth>> {
    let mut links = Vec::new();
    if settings.broker.is_some() && settings.redis_broker.is_some() {
        links.extend([Link::BrokerCommands, Link::BrokerFanout]);
    }
    if let Some(redis) = &settings.redis {
        links.extend(redis.links());
    }
    if settings.redisx.is_some() {
        links.push(Link::Redisx);
    }
    (!links.is_empty()).then(|| Arc::new(RedisHealth::new(&links, settings.log.clone())))
}

/// Pending connections the kernel may queue. tokio's default (1024) overflows in a connect
/// avalanche while the runtime is busy with handshakes, and overflowed clients wait for a SYN
/// retransmit (1 s): measured with bench:server, p99 connect time at N = 1,000 fell from ~1 s.
const LISTEN_BACKLOG: u32 = 4096;

/// How a failure to listen on `host:port` is reported.
fn bind_error_for(host: &str, port: u16) -> impl Fn(std::io::Error) -> ServerError {
    let address = format!("{host}:{port}");
    move |source| ServerError::Bind {
        address: address.clone(),
        source,
    }
}

async fn listen(host: &str, port: u16) -> std::io::Result<TcpListener> {
    let address = tokio::net::lookup_host((host, port))
        .await?
        .next()
        .ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, "host has no address")
        })?;
    let socket = if address.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Serves one connection's HTTP requests until it upgrades (the session takes the socket over),
/// ends, times out, or is closed to make room (`pending` evicted). Any byte stream, so the fuzz
/// targets can drive it in memory.
async fn serve_connection<S>(stream: S, pending: Pending, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut shutdown = shared.shutdown.subscribe();
    let service = {
        let shared = Arc::clone(&shared);
        service_fn(move |request| http::route(request, Arc::clone(&shared)))
    };
    // The header timeout also runs while a keep-alive connection idles between requests.
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(shared.settings.handshake_timeout)
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        // Dropping the connection closes the socket.
        _ = pending.evicted() => {}
        _ = stopping(&mut shutdown) => {
            connection.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(SHUTDOWN_GRACE, connection).await;
        }
    }
}

/// Resolves once the server starts shutting down.
async fn stopping(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stopping| *stopping).await;
}

/// Keeps the connection count right however a session ends.
struct ConnectionGuard(Arc<Shared>);

impl ConnectionGuard {
    /// Counts one more session, unless `maxConnections` are open already.
    fn try_new(shared: Arc<Shared>) -> Option<ConnectionGuard> {
        let max = shared.settings.max_connections;
        shared
            .connections
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (max == 0 || open < max).then_some(open + 1)
            })
            .ok()?;
        Some(ConnectionGuard(shared))
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        if self.0.connections.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.drained.notify_waiters();
        }
    }
}

#[cfg(feature = "fuzzing")]
impl CableServer {
    /// Serves `stream` as a connection the listener accepted (for the `http` fuzz target).
    pub async fn serve_stream<S>(&self, stream: S)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let pending = self.shared.pending.register();
        serve_connection(stream, pending, Arc::clone(&self.shared)).await;
    }
}
