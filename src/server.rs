use std::sync::{Arc, Mutex};
use std::time::Duration;

use anycable_core::option_range::Seconds;
use anycable_core::rpc::Transport;
use anycable_core::{CableServer, Config, Publication};
use napi::Result;
use napi_derive::napi;

use crate::application::{Dispatch, JsTransport};
use crate::errors::invalid_arg;

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
    pub public: Option<bool>,
    pub turbo_streams: Option<bool>,
    pub streams_whisper: Option<bool>,
    pub broadcast_key: Option<String>,
    pub broadcast_path: Option<String>,
    pub allowed_origins: Option<Vec<String>>,
    /// Seconds between pings.
    pub ping_interval: Option<f64>,
    pub max_message_size: Option<u32>,
    pub health_path: Option<String>,
    /// AnyCable RPC-over-HTTP endpoint for application channels.
    pub rpc_host: Option<String>,
    /// Seconds an application call may take before the client gets a reject / unauthorized.
    pub rpc_timeout: Option<f64>,
    /// Application calls in flight at once.
    pub rpc_concurrency: Option<u32>,
    /// Redis for the `redis` broadcast adapter and pub/sub.
    pub redis_url: Option<String>,
    /// `"http"` (default) or `"redis"`: also take publications from `PUBLISH <redisChannel>`.
    pub broadcast_adapter: Option<String>,
    /// The broadcast adapter's channel; default `__anycable__`.
    pub redis_channel: Option<String>,
    /// `"none"` (default) or `"redis"`: broadcasts made on any node reach every node.
    pub pubsub: Option<String>,
}

impl ServerOptions {
    fn into_config(self) -> Result<Config> {
        let defaults = Config::default();
        let port = match self.port {
            Some(port) => u16::try_from(port)
                .map_err(|_| invalid_arg(format!("port must be 0-65535, got {port}")))?,
            None => defaults.port,
        };
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
            pubsub: self.pubsub.unwrap_or(defaults.pubsub),
        })
    }
}

/// Where a started server listens.
#[napi(object)]
pub struct ListenInfo {
    /// `ws://host:port/path`, for clients.
    pub url: String,
    pub host: String,
    pub port: u32,
}

#[napi(object)]
pub struct ServerStats {
    pub connections: u32,
    pub streams: u32,
    pub subscriptions: u32,
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
    /// Whether broadcasts go to every node through Redis.
    pub redis_pubsub: bool,
}

/// The embedded cable server; wrapped by `createCableServer()` in `index.js`.
#[napi]
pub struct NativeCableServer {
    config: Config,
    application: Option<Arc<dyn Transport>>,
    running: Mutex<Option<Arc<CableServer>>>,
}

#[napi]
impl NativeCableServer {
    /// Validates the options; nothing listens until `listen()`. `dispatch` runs application
    /// channels in this process (see `lib/application.js`).
    #[napi(
        constructor,
        catch_unwind,
        ts_args_type = "options: ServerOptions, dispatch?: (method: string, sid: string, request: string) => Promise<string>"
    )]
    pub fn new(options: ServerOptions, dispatch: Option<Dispatch>) -> Result<Self> {
        let config = options.into_config()?;
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
            running: Mutex::new(None),
        })
    }

    #[napi(catch_unwind)]
    pub fn features(&self) -> Result<ServerFeatures> {
        let settings = self
            .config
            .clone()
            .resolve_with(self.application.clone())
            .map_err(invalid_arg)?;
        let http_broadcast = match (&settings.broadcast_key, settings.broadcast_open) {
            (Some(_), _) => "key",
            (None, true) => "public",
            (None, false) => "off",
        };
        Ok(ServerFeatures {
            jwt: settings.identificator.is_some(),
            enforce_jwt: settings.enforce_jwt,
            noauth: settings.noauth,
            signed_streams: settings.stream_signer.is_some(),
            public_streams: settings.public_streams,
            turbo_streams: settings.turbo_streams,
            streams_whisper: settings.streams_whisper,
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
        })
    }

    /// Binds and starts serving; rejects if the address is taken or the server already listens.
    #[napi]
    pub async fn listen(&self) -> Result<ListenInfo> {
        if self.current().is_some() {
            return Err(napi::Error::from_reason("the server is already listening"));
        }
        let server = CableServer::start_with(self.config.clone(), self.application.clone())
            .await
            .map_err(|error| napi::Error::from_reason(error.to_string()))?;
        let address = server.local_addr();
        let info = ListenInfo {
            url: server.url(),
            host: address.ip().to_string(),
            port: u32::from(address.port()),
        };
        let server = Arc::new(server);
        let raced = {
            let mut running = self.running.lock().expect("server lock");
            let raced = running.is_some();
            if !raced {
                *running = Some(Arc::clone(&server));
            }
            raced
        };
        if raced {
            // A concurrent listen() won; this one must not leak a second listener.
            server.shutdown().await;
            return Err(napi::Error::from_reason("the server is already listening"));
        }
        Ok(info)
    }

    /// Delivers `message` (JSON text) to the subscribers of `stream`.
    #[napi(catch_unwind)]
    pub fn broadcast(&self, stream: String, message: String) -> Result<()> {
        let publication = Publication::new(stream, message).map_err(invalid_arg)?;
        if let Some(server) = self.current() {
            server.publish(publication);
        }
        Ok(())
    }

    #[napi(catch_unwind)]
    pub fn stats(&self) -> ServerStats {
        let stats = self.current().map(|server| server.stats());
        ServerStats {
            connections: stats.map_or(0, |s| s.connections as u32),
            streams: stats.map_or(0, |s| s.streams as u32),
            subscriptions: stats.map_or(0, |s| s.subscriptions as u32),
        }
    }

    /// Graceful shutdown: `server_restart` and Close 1001 to every client. Idempotent.
    #[napi]
    pub async fn close(&self) -> Result<()> {
        let server = self.running.lock().expect("server lock").take();
        if let Some(server) = server {
            server.shutdown().await;
        }
        Ok(())
    }

    fn current(&self) -> Option<Arc<CableServer>> {
        self.running.lock().expect("server lock").clone()
    }
}
