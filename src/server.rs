use std::sync::{Arc, Mutex};
use std::time::Duration;

use anycable_core::Seconds;
use anycable_core::Transport;
use anycable_core::{BroadcastAuth, CableServer, Config, Publication};
use napi::bindgen_prelude::PromiseRaw;
use napi::{Env, Result};
use napi_derive::napi;

use crate::application::{Dispatch, JsTransport};
use crate::errors::invalid_arg;
use crate::lifecycle::Lifecycle;
use crate::logger::{js_logger, Emit};

/// `createCableServer` options (validated for type and name in `index.js`).
#[napi(object)]
#[derive(Default)]
pub struct ServerOptions {
    pub host: Option<String>,
    pub port: Option<u32>,
    pub path: Option<String>,
    pub secret: Option<String>,
    pub jwt_secret: Option<String>,
    pub jwt_param: Option<String>,
    pub enforce_jwt: Option<bool>,
    pub noauth: Option<bool>,
    pub streams_secret: Option<String>,
    pub public_streams: Option<bool>,
    /// With `publicStreams`, only plain names starting with one of these are public.
    pub public_streams_prefix: Option<Vec<String>>,
    pub public: Option<bool>,
    pub turbo_streams: Option<bool>,
    pub streams_whisper: Option<bool>,
    pub broadcast_key: Option<String>,
    pub broadcast_path: Option<String>,
    pub allowed_origins: Option<Vec<String>>,
    /// Seconds between pings.
    pub ping_interval: Option<f64>,
    pub max_message_size: Option<u32>,
    /// Subscriptions one connection may hold.
    pub max_subscriptions: Option<u32>,
    /// Bytes one connection may have waiting to be sent before it is `too_slow`.
    pub max_outgoing_bytes: Option<u32>,
    /// Commands per second one connection may send (bursts of as many).
    pub command_rate: Option<u32>,
    pub health_path: Option<String>,
    /// AnyCable RPC-over-HTTP endpoint for application channels.
    pub rpc_host: Option<String>,
    /// Seconds an application call may take before the client gets a reject / unauthorized.
    pub rpc_timeout: Option<f64>,
    /// Application calls in flight at once.
    pub rpc_concurrency: Option<u32>,
    /// Redis for the `redis` and `redisx` broadcast adapters and pub/sub.
    pub redis_url: Option<String>,
    /// `"http"` (default), `"redis"` (also take publications from `PUBLISH <redisChannel>`) or
    /// `"redisx"` (also from the entries of `redisxStream`, one node taking each).
    pub broadcast_adapter: Option<String>,
    /// The `redis` broadcast adapter's channel; default `__anycable__`.
    pub redis_channel: Option<String>,
    /// The `redisx` broadcast adapter's stream; default `__anycable__`.
    pub redisx_stream: Option<String>,
    /// The consumer group every node reads `redisxStream` through; default `bx`.
    pub redisx_group: Option<String>,
    /// `"none"` (default) or `"redis"`: broadcasts made on any node reach every node.
    pub pubsub: Option<String>,
    /// Seconds a connection may take to finish its request or upgrade.
    pub handshake_timeout: Option<f64>,
    /// Unfinished connections at once; at the cap the oldest is closed.
    pub max_pending_connections: Option<u32>,
    /// WebSocket sessions at once (0 = unlimited); upgrades beyond get 503.
    pub max_connections: Option<u32>,
    /// Request headers passed to the application; default `["cookie"]`.
    pub headers: Option<Vec<String>>,
    /// `"memory"` (default) or `"none"`: history, session resumption and presence.
    pub broker: Option<String>,
    /// Messages kept per stream for history.
    pub history_limit: Option<u32>,
    /// Seconds a stream's messages are kept for history.
    pub history_ttl: Option<f64>,
    /// Seconds a disconnected extended-protocol session can be resumed (0 = off).
    pub sessions_ttl: Option<f64>,
    /// Seconds a disconnected session's presence outlives it.
    pub presence_ttl: Option<f64>,
    /// Seconds an extended-protocol client may stay silent before `no_pong` (0 = off).
    pub pong_timeout: Option<f64>,
    /// Allow presence on signed streams.
    pub streams_presence: Option<bool>,
    /// End a session with `token_expired` when its token expires.
    pub disconnect_on_token_expiry: Option<bool>,
    /// Serve Prometheus metrics at this path (off when absent).
    pub metrics_path: Option<String>,
    /// Serve the metrics on their own listener, on this port.
    pub metrics_port: Option<u32>,
    /// The metrics listener's host; default `host`.
    pub metrics_host: Option<String>,
    /// `"debug"`, `"info"` (default), `"warn"` or `"error"`.
    pub log_level: Option<String>,
    /// `"text"` (default) or `"json"`: stderr lines, when there is no `logger`.
    pub log_format: Option<String>,
}

impl ServerOptions {
    fn into_config(self) -> Result<Config> {
        let defaults = Config::default();
        let port_of = |name: &str, port: u32| {
            u16::try_from(port)
                .map_err(|_| invalid_arg(format!("{name} must be 0-65535, got {port}")))
        };
        let port = match self.port {
            Some(port) => port_of("port", port)?,
            None => defaults.port,
        };
        let metrics_port = self
            .metrics_port
            .map(|port| port_of("metricsPort", port))
            .transpose()?;
        // Through the option's range, so no number of seconds can panic as a Duration.
        let seconds = |range: Seconds, value: Option<f64>, default: Duration| match value {
            Some(seconds) => range.duration(seconds).map_err(invalid_arg),
            None => Ok(default),
        };
        let ping_interval = seconds(
            Seconds::PING_INTERVAL,
            self.ping_interval,
            defaults.ping_interval,
        )?;
        let rpc_timeout = seconds(Seconds::RPC_TIMEOUT, self.rpc_timeout, defaults.rpc_timeout)?;
        let handshake_timeout = seconds(
            Seconds::HANDSHAKE_TIMEOUT,
            self.handshake_timeout,
            defaults.handshake_timeout,
        )?;
        let history_ttl = seconds(Seconds::HISTORY_TTL, self.history_ttl, defaults.history_ttl)?;
        let sessions_ttl = seconds(
            Seconds::SESSIONS_TTL,
            self.sessions_ttl,
            defaults.sessions_ttl,
        )?;
        let presence_ttl = seconds(
            Seconds::PRESENCE_TTL,
            self.presence_ttl,
            defaults.presence_ttl,
        )?;
        let pong_timeout = seconds(
            Seconds::PONG_TIMEOUT,
            self.pong_timeout,
            defaults.pong_timeout,
        )?;
        Ok(Config {
            host: self.host.unwrap_or(defaults.host),
            port,
            path: self.path.unwrap_or(defaults.path),
            secret: self.secret,
            jwt_secret: self.jwt_secret,
            jwt_param: self.jwt_param.unwrap_or(defaults.jwt_param),
            enforce_jwt: self.enforce_jwt.unwrap_or(defaults.enforce_jwt),
            noauth: self.noauth.unwrap_or(defaults.noauth),
            streams_secret: self.streams_secret,
            public_streams: self.public_streams.unwrap_or(defaults.public_streams),
            public_streams_prefix: self
                .public_streams_prefix
                .unwrap_or(defaults.public_streams_prefix),
            public: self.public.unwrap_or(defaults.public),
            turbo_streams: self.turbo_streams.unwrap_or(defaults.turbo_streams),
            streams_whisper: self.streams_whisper.unwrap_or(defaults.streams_whisper),
            broadcast_key: self.broadcast_key,
            broadcast_path: self.broadcast_path.unwrap_or(defaults.broadcast_path),
            allowed_origins: self.allowed_origins.unwrap_or(defaults.allowed_origins),
            ping_interval,
            max_message_size: self
                .max_message_size
                .map_or(defaults.max_message_size, |size| size as usize),
            max_subscriptions: self
                .max_subscriptions
                .map_or(defaults.max_subscriptions, |n| n as usize),
            max_outgoing_bytes: self
                .max_outgoing_bytes
                .map_or(defaults.max_outgoing_bytes, |n| n as usize),
            command_rate: self.command_rate.unwrap_or(defaults.command_rate),
            health_path: self.health_path.unwrap_or(defaults.health_path),
            outgoing_queue: defaults.outgoing_queue,
            rpc_host: self.rpc_host,
            rpc_timeout,
            rpc_concurrency: self
                .rpc_concurrency
                .map_or(defaults.rpc_concurrency, |n| n as usize),
            redis_url: self.redis_url,
            broadcast_adapter: self.broadcast_adapter.unwrap_or(defaults.broadcast_adapter),
            redis_channel: self.redis_channel.unwrap_or(defaults.redis_channel),
            redisx_stream: self.redisx_stream.unwrap_or(defaults.redisx_stream),
            redisx_group: self.redisx_group.unwrap_or(defaults.redisx_group),
            pubsub: self.pubsub.unwrap_or(defaults.pubsub),
            handshake_timeout,
            max_pending_connections: self
                .max_pending_connections
                .map_or(defaults.max_pending_connections, |n| n as usize),
            max_connections: self
                .max_connections
                .map_or(defaults.max_connections, |n| n as usize),
            headers: self.headers.unwrap_or(defaults.headers),
            broker: self.broker.unwrap_or(defaults.broker),
            history_limit: self
                .history_limit
                .map_or(defaults.history_limit, |n| n as usize),
            history_ttl,
            sessions_ttl,
            presence_ttl,
            pong_timeout,
            streams_presence: self.streams_presence.unwrap_or(defaults.streams_presence),
            disconnect_on_token_expiry: self
                .disconnect_on_token_expiry
                .unwrap_or(defaults.disconnect_on_token_expiry),
            metrics_path: self.metrics_path,
            metrics_port,
            metrics_host: self.metrics_host,
            log_level: self.log_level.unwrap_or(defaults.log_level),
            log_format: self.log_format.unwrap_or(defaults.log_format),
            logger: None,
        })
    }
}

/// `Config::default()` as options, so `__test__/option-declaration.test.mjs` can hold the declared
/// defaults in `lib/options.js` to the ones the core really uses.
#[napi]
pub fn server_defaults() -> ServerOptions {
    let defaults = Config::default();
    let count = |n: usize| Some(u32::try_from(n).unwrap_or(u32::MAX));
    ServerOptions {
        host: Some(defaults.host),
        port: Some(u32::from(defaults.port)),
        path: Some(defaults.path),
        secret: defaults.secret,
        jwt_secret: defaults.jwt_secret,
        jwt_param: Some(defaults.jwt_param),
        enforce_jwt: Some(defaults.enforce_jwt),
        noauth: Some(defaults.noauth),
        streams_secret: defaults.streams_secret,
        public_streams: Some(defaults.public_streams),
        public_streams_prefix: Some(defaults.public_streams_prefix),
        public: Some(defaults.public),
        turbo_streams: Some(defaults.turbo_streams),
        streams_whisper: Some(defaults.streams_whisper),
        broadcast_key: defaults.broadcast_key,
        broadcast_path: Some(defaults.broadcast_path),
        allowed_origins: Some(defaults.allowed_origins),
        ping_interval: Some(defaults.ping_interval.as_secs_f64()),
        max_message_size: count(defaults.max_message_size),
        max_subscriptions: count(defaults.max_subscriptions),
        max_outgoing_bytes: count(defaults.max_outgoing_bytes),
        command_rate: Some(defaults.command_rate),
        health_path: Some(defaults.health_path),
        rpc_host: defaults.rpc_host,
        rpc_timeout: Some(defaults.rpc_timeout.as_secs_f64()),
        rpc_concurrency: count(defaults.rpc_concurrency),
        redis_url: defaults.redis_url,
        broadcast_adapter: Some(defaults.broadcast_adapter),
        redis_channel: Some(defaults.redis_channel),
        redisx_stream: Some(defaults.redisx_stream),
        redisx_group: Some(defaults.redisx_group),
        pubsub: Some(defaults.pubsub),
        handshake_timeout: Some(defaults.handshake_timeout.as_secs_f64()),
        max_pending_connections: count(defaults.max_pending_connections),
        max_connections: count(defaults.max_connections),
        headers: Some(defaults.headers),
        broker: Some(defaults.broker),
        history_limit: count(defaults.history_limit),
        history_ttl: Some(defaults.history_ttl.as_secs_f64()),
        sessions_ttl: Some(defaults.sessions_ttl.as_secs_f64()),
        presence_ttl: Some(defaults.presence_ttl.as_secs_f64()),
        pong_timeout: Some(defaults.pong_timeout.as_secs_f64()),
        streams_presence: Some(defaults.streams_presence),
        disconnect_on_token_expiry: Some(defaults.disconnect_on_token_expiry),
        metrics_path: defaults.metrics_path,
        metrics_port: defaults.metrics_port.map(u32::from),
        metrics_host: defaults.metrics_host,
        log_level: Some(defaults.log_level),
        log_format: Some(defaults.log_format),
    }
}

/// `server.broadcast` options (validated for type and name in `lib/server.js`).
#[napi(object)]
#[derive(Default)]
pub struct BroadcastOptions {
    /// Not kept in history and given no offset, like a whisper.
    pub transient: Option<bool>,
    /// The sid of a session that must not receive it (Rails `to_others`).
    pub exclude_socket: Option<String>,
}

/// Where a started server listens.
#[napi(object)]
pub struct ListenInfo {
    /// `ws://host:port/path`, for clients.
    pub url: String,
    pub host: String,
    pub port: u32,
    /// `http://host:port/path` of the Prometheus metrics, when they are served.
    pub metrics_url: Option<String>,
}

#[napi(object)]
pub struct ServerStats {
    pub connections: u32,
    pub streams: u32,
    pub subscriptions: u32,
    /// With Redis: whether its connections are up (absent without Redis).
    pub redis_connected: Option<bool>,
    /// With Redis: this node's publications that did not reach the other nodes.
    pub redis_dropped: Option<f64>,
    /// With Redis: HTTP publications answered 503 because Redis could not register them.
    pub redis_refused: Option<f64>,
    /// With Redis: `redisx` entries this node took over from a reader that had not acknowledged
    /// them (delivered now, possibly a second time).
    pub redis_reclaimed: Option<f64>,
    /// With Redis: `redisx` entries dropped because they held no valid publication.
    pub redis_invalid: Option<f64>,
}

/// One present id, its info as JSON text (parsed by `lib/server.js`).
#[napi(object)]
pub struct NativePresentId {
    pub id: String,
    pub info: Option<String>,
}

/// Who is present on a stream.
#[napi(object)]
pub struct NativePresence {
    pub total: u32,
    pub records: Vec<NativePresentId>,
}

/// Which features a configuration turns on, for the start-up line (never the secrets).
#[napi(object)]
pub struct ServerFeatures {
    pub jwt: bool,
    pub enforce_jwt: bool,
    pub noauth: bool,
    pub signed_streams: bool,
    pub public_streams: bool,
    pub turbo_streams: bool,
    pub streams_whisper: bool,
    /// `"key"`, `"public"` (no key needed) or `"off"`.
    pub http_broadcast: String,
    /// `"in-process"`, `"http"` or `"off"`: who answers application channels.
    pub application: String,
    /// Whether `PUBLISH <redisChannel>` broadcasts are taken.
    pub redis_broadcasts: bool,
    /// The stream `redisx` entries are read from, when that is the adapter.
    pub redisx_stream: Option<String>,
    /// Whether broadcasts go to every node through Redis pub/sub.
    pub redis_pubsub: bool,
    /// `"memory"`, `"redis"` or `"none"`: where offsets, history, sessions and presence are kept.
    pub broker: String,
}

/// The embedded cable server; wrapped by `createCableServer()` in `index.js`.
#[napi]
pub struct NativeCableServer {
    config: Config,
    application: Option<Arc<dyn Transport>>,
    running: Arc<Mutex<Option<Arc<CableServer>>>>,
    lifecycle: Lifecycle,
}

#[napi]
impl NativeCableServer {
    /// Validates the options; nothing listens until `listen()`. `dispatch` runs application
    /// channels in this process (see `lib/application.js`); `emit` takes the server's log events
    /// instead of stderr (see `lib/server.js`).
    #[napi(
        constructor,
        catch_unwind,
        ts_args_type = "options: ServerOptions, dispatch?: (method: string, sid: string, request: string) => Promise<string>, emit?: (level: string, message: string, fields: string[]) => void"
    )]
    pub fn new(
        options: ServerOptions,
        dispatch: Option<Dispatch>,
        emit: Option<Emit>,
    ) -> Result<Self> {
        let mut config = options.into_config()?;
        config.logger = emit.as_ref().map(js_logger).transpose()?;
        let application = match dispatch {
            Some(dispatch) => Some(Arc::new(JsTransport::new(&dispatch)?) as Arc<dyn Transport>),
            None => None,
        };
        config
            .clone()
            .resolve_with(application.clone())
            .map_err(invalid_arg)?;
        Ok(NativeCableServer {
            config,
            application,
            running: Arc::default(),
            lifecycle: Lifecycle::default(),
        })
    }

    #[napi(catch_unwind)]
    pub fn features(&self) -> Result<ServerFeatures> {
        let settings = self
            .config
            .clone()
            .resolve_with(self.application.clone())
            .map_err(invalid_arg)?;
        let http_broadcast = match settings.broadcast_auth {
            BroadcastAuth::Key(_) => "key",
            BroadcastAuth::Open => "public",
            BroadcastAuth::Disabled => "off",
        };
        let channels = &settings.session.channels;
        Ok(ServerFeatures {
            jwt: settings.identity.identificator.is_some(),
            enforce_jwt: settings.identity.enforce_jwt,
            noauth: settings.identity.noauth,
            signed_streams: channels.stream_signer.is_some(),
            public_streams: channels.public_streams,
            turbo_streams: channels.turbo_streams,
            streams_whisper: channels.streams_whisper,
            http_broadcast: http_broadcast.into(),
            application: match (&self.application, &self.config.rpc_host) {
                (Some(_), _) => "in-process",
                (None, Some(_)) => "http",
                (None, None) => "off",
            }
            .into(),
            redis_broadcasts: settings
                .redis
                .as_ref()
                .is_some_and(|r| r.broadcast_channel.is_some()),
            redis_pubsub: settings.redis.as_ref().is_some_and(|r| r.pubsub),
            redisx_stream: settings.redisx.map(|r| r.stream),
            broker: match (&settings.broker, &settings.redis_broker) {
                (None, _) => "none",
                (Some(_), None) => "memory",
                (Some(_), Some(_)) => "redis",
            }
            .into(),
        })
    }

    /// Binds and starts serving once earlier `listen()` / `close()` calls have finished; rejects
    /// if the address is taken or the server already listens.
    #[napi(ts_return_type = "Promise<ListenInfo>")]
    pub fn listen<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ListenInfo>> {
        let turn = self.lifecycle.turn();
        let config = self.config.clone();
        let application = self.application.clone();
        let running = Arc::clone(&self.running);
        env.spawn_future(async move {
            let _done = turn.wait().await;
            if running.lock().expect("server lock").is_some() {
                return Err(napi::Error::from_reason("the server is already listening"));
            }
            let server = CableServer::start_with(config, application)
                .await
                .map_err(|error| napi::Error::from_reason(error.to_string()))?;
            let address = server.local_addr();
            let info = ListenInfo {
                url: server.url(),
                host: address.ip().to_string(),
                port: u32::from(address.port()),
                metrics_url: server.metrics_url().map(str::to_owned),
            };
            *running.lock().expect("server lock") = Some(Arc::new(server));
            Ok(info)
        })
    }

    /// Delivers `message` (JSON text) to the subscribers of `stream`, never waiting; fails when
    /// the queue of broadcasts waiting for their history position is full.
    #[napi(catch_unwind)]
    pub fn broadcast(
        &self,
        stream: String,
        message: String,
        options: Option<BroadcastOptions>,
    ) -> Result<()> {
        let options = options.unwrap_or_default();
        let mut publication = Publication::new(stream, message).map_err(invalid_arg)?;
        publication.transient = options.transient.unwrap_or(false);
        publication.exclude_socket = options.exclude_socket;
        if let Some(server) = self.current() {
            server.try_publish(publication).map_err(|overloaded| {
                napi::Error::from_reason(format!("broadcast dropped: {overloaded}"))
            })?;
        }
        Ok(())
    }

    /// Who is present on `stream`; rejects while not listening or without a broker.
    #[napi(ts_return_type = "Promise<NativePresence>")]
    pub fn presence<'env>(
        &self,
        env: &'env Env,
        stream: String,
    ) -> Result<PromiseRaw<'env, NativePresence>> {
        let server = self.current();
        env.spawn_future(async move {
            let server =
                server.ok_or_else(|| napi::Error::from_reason("the server is not listening"))?;
            let presence = server
                .presence(&stream)
                .await
                .map_err(|error| napi::Error::from_reason(error.to_string()))?;
            Ok(NativePresence {
                total: u32::try_from(presence.total()).unwrap_or(u32::MAX),
                records: presence
                    .records
                    .into_iter()
                    .map(|record| NativePresentId {
                        id: record.id,
                        info: record.info,
                    })
                    .collect(),
            })
        })
    }

    #[napi(catch_unwind)]
    pub fn stats(&self) -> ServerStats {
        let stats = self.current().map(|server| server.stats());
        ServerStats {
            connections: stats.map_or(0, |s| s.connections as u32),
            streams: stats.map_or(0, |s| s.streams as u32),
            subscriptions: stats.map_or(0, |s| s.subscriptions as u32),
            redis_connected: stats.and_then(|s| s.redis).map(|r| r.connected),
            // A JS number is exact up to 2^53 drops.
            redis_dropped: stats.and_then(|s| s.redis).map(|r| r.dropped as f64),
            redis_refused: stats.and_then(|s| s.redis).map(|r| r.refused as f64),
            redis_reclaimed: stats.and_then(|s| s.redis).map(|r| r.reclaimed as f64),
            redis_invalid: stats.and_then(|s| s.redis).map(|r| r.invalid as f64),
        }
    }

    /// The server's metrics as JSON text (parsed by `lib/server.js`); `None` while not listening.
    #[napi(catch_unwind)]
    pub fn metrics(&self) -> Option<String> {
        self.current().map(|server| server.metrics().to_json())
    }

    /// Graceful shutdown: `server_restart` and Close 1001 to every client. Idempotent. Waits for
    /// a `listen()` called before it, and closes what that opened.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
        let turn = self.lifecycle.turn();
        let running = Arc::clone(&self.running);
        env.spawn_future(async move {
            let _done = turn.wait().await;
            let server = running.lock().expect("server lock").take();
            if let Some(server) = server {
                server.shutdown().await;
            }
            Ok(())
        })
    }

    fn current(&self) -> Option<Arc<CableServer>> {
        self.running.lock().expect("server lock").clone()
    }
}
