//! Server options with the AnyCable server's names, defaults and secret fallbacks, validated once
//! into each component's settings ([`ServerSettings`] holds them all). Components read only their
//! own settings and never this module.

use std::sync::Arc;
use std::time::Duration;

use crate::broadcast::redis::RedisSettings;
use crate::broadcast::redisx::RedisxSettings;
use crate::broadcast::{BroadcastAdapter, PubSub};
use crate::broker::redis::RedisBrokerSettings;
use crate::broker::{BrokerKind, BrokerSettings};
use crate::channels::ChannelSettings;
use crate::config_error::ConfigError;
use crate::identity::IdentitySettings;
use crate::keys::{broadcast_key, rpc_key};
use crate::log::{Level, Log, LogFormat, LogSink, Logger, StderrSink};
use crate::option_range::{Count, Seconds};
use crate::origin::AllowedOrigins;
use crate::rpc::{HttpTransport, Rpc, Transport};
use crate::server::{BroadcastAuth, MetricsEndpoint, ServerSettings};
use crate::session::SessionSettings;
use crate::streams::StreamSigner;
use crate::token::{Algorithm, Identificator, Ttl};

/// Options as a user gives them (`--flag` / `ANYCABLE_FLAG` / `createCableServer({ flag })`).
#[derive(Debug, Clone)]
pub struct Config {
    pub host: String,
    pub port: u16,
    /// The WebSocket endpoint.
    pub path: String,
    /// The common secret; every other secret falls back to it.
    pub secret: Option<String>,
    pub jwt_secret: Option<String>,
    /// Name of the token query parameter and `X-<PARAM>` header.
    pub jwt_param: String,
    /// Refuse connections without a valid token.
    pub enforce_jwt: bool,
    /// Accept connections without a token as anonymous.
    pub noauth: bool,
    pub streams_secret: Option<String>,
    /// Allow `$pubsub` subscriptions to unsigned stream names.
    pub public_streams: bool,
    /// Public mode: `noauth` + `public_streams` + unauthenticated HTTP broadcasts.
    pub public: bool,
    /// Serve `Turbo::StreamsChannel` with signed stream names.
    pub turbo_streams: bool,
    /// Allow whispers on signed streams (always allowed on public ones).
    pub streams_whisper: bool,
    pub broadcast_key: Option<String>,
    pub broadcast_path: String,
    /// Origins allowed to connect (`*.example.com` wildcards); empty = any.
    pub allowed_origins: Vec<String>,
    pub ping_interval: Duration,
    pub max_message_size: usize,
    pub health_path: String,
    /// Frames a session may have waiting before it is disconnected as `too_slow`.
    pub outgoing_queue: usize,
    /// AnyCable RPC-over-HTTP endpoint for application channels (`http://host/path`).
    pub rpc_host: Option<String>,
    /// How long one RPC call may take before the client gets a reject (or `unauthorized`).
    pub rpc_timeout: Duration,
    /// RPC calls in flight at once; more wait their turn.
    pub rpc_concurrency: usize,
    /// Redis for the `redis` and `redisx` broadcast adapters and pub/sub; default
    /// `redis://localhost:6379`.
    pub redis_url: Option<String>,
    /// `http` (the HTTP endpoint only), `redis` (also `SUBSCRIBE redis_channel`) or `redisx` (also
    /// the entries of `redisx_stream`, one node taking each).
    pub broadcast_adapter: String,
    /// The `redis` broadcast adapter's Redis channel.
    pub redis_channel: String,
    /// The `redisx` broadcast adapter's Redis Stream.
    pub redisx_stream: String,
    /// The consumer group every node reads `redisx_stream` through.
    pub redisx_group: String,
    /// `none` or `redis` (broadcasts made on one node reach every node through Redis).
    pub pubsub: String,
    /// How long a connection may take to finish its HTTP request or WebSocket upgrade (and may
    /// idle between keep-alive requests) before it is closed.
    pub handshake_timeout: Duration,
    /// Connections still in their request / upgrade at once; at the cap the oldest is closed.
    pub max_pending_connections: usize,
    /// WebSocket sessions at once; upgrades beyond it get 503. 0 = unlimited.
    pub max_connections: usize,
    /// Request headers passed to the application (case-insensitive names), like AnyCable's `--headers`.
    pub headers: Vec<String>,
    /// With public streams on, only plain names starting with one of these are public; empty = any.
    pub public_streams_prefix: Vec<String>,
    /// Subscriptions one connection may hold; more are rejected.
    pub max_subscriptions: usize,
    /// Bytes a session may have waiting (besides `outgoing_queue` frames) before `too_slow`.
    pub max_outgoing_bytes: usize,
    /// Commands per second one connection may send, with a burst of as many; faster clients are
    /// read more slowly (their socket is left unread until the budget refills).
    pub command_rate: u32,
    /// `memory` (history, resumption and presence in this process) or `none`.
    pub broker: String,
    /// Messages kept per stream for history.
    pub history_limit: usize,
    /// How long a stream's messages are kept for history.
    pub history_ttl: Duration,
    /// How long a disconnected extended-protocol session can be resumed; zero = never.
    pub sessions_ttl: Duration,
    /// How long a disconnected session's presence outlives it.
    pub presence_ttl: Duration,
    /// How long an extended-protocol client may send nothing before `no_pong`; zero = off.
    pub pong_timeout: Duration,
    /// Allow presence on signed streams (always on public ones, never on Turbo ones).
    pub streams_presence: bool,
    /// End a session with `token_expired` when its token's `exp` passes.
    pub disconnect_on_token_expiry: bool,
    /// Serve Prometheus metrics at this path (AnyCable's `--metrics_http`); `None` = off.
    pub metrics_path: Option<String>,
    /// Serve the metrics on a listener of their own, on this port (unauthenticated there).
    pub metrics_port: Option<u16>,
    /// The metrics listener's host; default `host`.
    pub metrics_host: Option<String>,
    /// `debug`, `info`, `warn` or `error`: the least severe events logged.
    pub log_level: String,
    /// `text` or `json`: how events are written to stderr when there is no `logger`.
    pub log_format: String,
    /// Where events go instead of stderr (the Node `logger` option).
    pub logger: Option<Logger>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "127.0.0.1".into(),
            port: 8080,
            path: "/cable".into(),
            secret: None,
            jwt_secret: None,
            jwt_param: "jid".into(),
            enforce_jwt: false,
            noauth: false,
            streams_secret: None,
            public_streams: false,
            public: false,
            turbo_streams: false,
            streams_whisper: false,
            broadcast_key: None,
            broadcast_path: "/_broadcast".into(),
            allowed_origins: Vec::new(),
            ping_interval: Duration::from_secs(3),
            max_message_size: 65_536,
            health_path: "/health".into(),
            outgoing_queue: 1024,
            rpc_host: None,
            rpc_timeout: Duration::from_secs(5),
            rpc_concurrency: 64,
            redis_url: None,
            broadcast_adapter: "http".into(),
            redis_channel: "__anycable__".into(),
            redisx_stream: "__anycable__".into(),
            redisx_group: "bx".into(),
            pubsub: "none".into(),
            handshake_timeout: Duration::from_secs(10),
            max_pending_connections: 1024,
            max_connections: 0,
            headers: vec!["cookie".into()],
            public_streams_prefix: Vec::new(),
            max_subscriptions: 1000,
            max_outgoing_bytes: 1 << 20,
            command_rate: 100,
            broker: "memory".into(),
            history_limit: 100,
            history_ttl: Duration::from_secs(300),
            sessions_ttl: Duration::from_secs(300),
            presence_ttl: Duration::from_secs(15),
            pong_timeout: Duration::ZERO,
            streams_presence: true,
            disconnect_on_token_expiry: false,
            metrics_path: None,
            metrics_port: None,
            metrics_host: None,
            log_level: "info".into(),
            log_format: "text".into(),
            logger: None,
        }
    }
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|s| !s.is_empty())
}

fn check_path(name: &str, path: &str) -> Result<(), ConfigError> {
    if path.starts_with('/') {
        Ok(())
    } else {
        Err(ConfigError(format!(
            "{name} must start with '/', got {path:?}"
        )))
    }
}

impl Config {
    /// Validates the options into the settings a server runs with.
    pub fn resolve(self) -> Result<ServerSettings, ConfigError> {
        self.resolve_with(None)
    }

    /// Like [`Config::resolve`], with application channels served through `application` (an
    /// in-process transport) instead of `rpc_host`.
    pub fn resolve_with(
        self,
        application: Option<Arc<dyn Transport>>,
    ) -> Result<ServerSettings, ConfigError> {
        check_path("path", &self.path)?;
        check_path("broadcastPath", &self.broadcast_path)?;
        check_path("healthPath", &self.health_path)?;
        if self.jwt_param.is_empty() {
            return Err(ConfigError("jwtParam must not be empty".into()));
        }
        Seconds::PING_INTERVAL.check(self.ping_interval)?;
        Count::MAX_MESSAGE_SIZE.check(self.max_message_size)?;
        if self.outgoing_queue == 0 {
            return Err(ConfigError(
                "the outgoing queue must hold at least one frame".into(),
            ));
        }
        self.check_bounds()?;
        let log = self.log()?;
        let rpc = self.rpc(application)?;
        let broker_kind = BrokerKind::parse(&self.broker)?;
        let redis = self.redis(broker_kind)?;
        let redisx = self.redisx()?;
        Seconds::HANDSHAKE_TIMEOUT.check(self.handshake_timeout)?;
        Count::MAX_PENDING_CONNECTIONS.check(self.max_pending_connections)?;
        Count::MAX_CONNECTIONS.check(self.max_connections)?;
        let headers = application_header_names(&self.headers)?;
        let identity = self.identity(rpc.is_some())?;
        let allowed_origins = AllowedOrigins::parse(&self.allowed_origins)?;
        let broadcast_auth = self.broadcast_auth();
        let metrics = self.metrics()?;
        let broker = self.broker(broker_kind)?;
        let redis_broker = (broker_kind == BrokerKind::Redis).then(|| RedisBrokerSettings {
            url: self.redis_url_or_default().to_owned(),
        });
        let secret = non_empty(&self.secret);
        let channels = ChannelSettings {
            stream_signer: non_empty(&self.streams_secret)
                .or(secret)
                .map(|key| StreamSigner::new(key.as_bytes()).expect("secret is not empty")),
            public_streams: self.public_streams || self.public,
            public_streams_prefix: self.public_streams_prefix,
            turbo_streams: self.turbo_streams,
            streams_whisper: self.streams_whisper,
            streams_presence: self.streams_presence,
        };
        Ok(ServerSettings {
            application_headers: rpc.is_some().then_some(headers),
            session: Arc::new(SessionSettings {
                ping_interval: self.ping_interval,
                outgoing_queue: self.outgoing_queue,
                max_outgoing_bytes: self.max_outgoing_bytes,
                max_subscriptions: self.max_subscriptions,
                command_rate: self.command_rate,
                pong_timeout: self.pong_timeout,
                presence_ttl: self.presence_ttl,
                disconnect_on_token_expiry: self.disconnect_on_token_expiry,
                channels,
                rpc,
                log: log.clone(),
            }),
            log,
            host: self.host,
            port: self.port,
            path: self.path,
            health_path: self.health_path,
            broadcast_path: self.broadcast_path,
            broadcast_auth,
            metrics,
            handshake_timeout: self.handshake_timeout,
            max_pending_connections: self.max_pending_connections,
            max_connections: self.max_connections,
            max_message_size: self.max_message_size,
            allowed_origins,
            identity,
            redis,
            redisx,
            broker,
            redis_broker,
        })
    }

    /// The server's log: `logger` when given, else stderr in `log_format`; at `log_level`.
    fn log(&self) -> Result<Log, ConfigError> {
        let level: Level = self.log_level.parse()?;
        let format: LogFormat = self.log_format.parse()?;
        let sink: Arc<dyn LogSink> = match &self.logger {
            Some(Logger(sink)) => Arc::clone(sink),
            None => Arc::new(StderrSink::new(format)),
        };
        Ok(Log::new(level, sink))
    }

    /// Token verification with the JWT secret (or the common one); `application` says whether
    /// there is one to ask about tokenless clients.
    fn identity(&self, application: bool) -> Result<IdentitySettings, ConfigError> {
        // The ttl only matters for issuing; the server only verifies.
        let identificator =
            non_empty(&self.jwt_secret)
                .or(non_empty(&self.secret))
                .map(|jwt_secret| {
                    Identificator::new(
                        jwt_secret.as_bytes(),
                        Ttl::from_seconds(3600.0).expect("valid"),
                        Algorithm::HS256,
                    )
                    .expect("secret is not empty")
                });
        if self.enforce_jwt && identificator.is_none() {
            return Err(ConfigError(
                "enforceJwt needs a secret or jwtSecret to verify tokens with".into(),
            ));
        }
        Ok(IdentitySettings {
            identificator,
            jwt_param: self.jwt_param.clone(),
            enforce_jwt: self.enforce_jwt,
            noauth: self.noauth || self.public,
            application,
        })
    }

    /// Where metrics are served: `metricsPath` (`/metrics` when only `metricsPort` is given), on
    /// the main port unless `metricsPort` names another (the reference's rule).
    fn metrics(&self) -> Result<Option<MetricsEndpoint>, ConfigError> {
        let path = match (&self.metrics_path, self.metrics_port) {
            (Some(path), _) => path.clone(),
            (None, Some(_)) => "/metrics".to_owned(),
            (None, None) if self.metrics_host.is_some() => {
                return Err(ConfigError(
                    "metricsHost needs metricsPath or metricsPort".into(),
                ))
            }
            (None, None) => return Ok(None),
        };
        check_path("metricsPath", &path)?;
        let host = self.metrics_host.as_ref().unwrap_or(&self.host);
        let listener = self
            .metrics_port
            .filter(|&port| port == 0 || port != self.port || *host != self.host)
            .map(|port| (host.clone(), port));
        if listener.is_none() {
            let taken = [
                ("path", &self.path),
                ("broadcastPath", &self.broadcast_path),
                ("healthPath", &self.health_path),
            ];
            if let Some((name, _)) = taken.iter().find(|(_, other)| **other == path) {
                return Err(ConfigError(format!(
                    "metricsPath must differ from {name} ({path:?}) on the same port"
                )));
            }
        }
        Ok(Some(MetricsEndpoint { path, listener }))
    }

    /// The broadcast key (or one derived from the common secret) wins over public mode.
    fn broadcast_auth(&self) -> BroadcastAuth {
        let key = non_empty(&self.broadcast_key)
            .map(str::to_owned)
            .or_else(|| non_empty(&self.secret).map(|s| broadcast_key(s.as_bytes())));
        match key {
            Some(key) => BroadcastAuth::Key(key),
            None if self.public => BroadcastAuth::Open,
            None => BroadcastAuth::Disabled,
        }
    }

    /// The application: in-process, or over HTTP at `rpc_host`, never both.
    fn rpc(&self, application: Option<Arc<dyn Transport>>) -> Result<Option<Rpc>, ConfigError> {
        let transport: Option<Arc<dyn Transport>> = match (application, non_empty(&self.rpc_host)) {
            (Some(_), Some(_)) => {
                return Err(ConfigError(
                    "application and rpcHost cannot be used together".into(),
                ))
            }
            (Some(application), None) => Some(application),
            (None, Some(host)) => Some(Arc::new(
                HttpTransport::new(host, non_empty(&self.secret).map(|s| rpc_key(s.as_bytes())))
                    .map_err(|e| ConfigError(e.0))?,
            )),
            (None, None) => None,
        };
        Count::RPC_CONCURRENCY.check(self.rpc_concurrency)?;
        Seconds::RPC_TIMEOUT.check(self.rpc_timeout)?;
        Ok(transport.map(|transport| Rpc::new(transport, self.rpc_concurrency, self.rpc_timeout)))
    }

    fn redis_url_or_default(&self) -> &str {
        non_empty(&self.redis_url).unwrap_or("redis://localhost:6379")
    }

    /// Redis for the broadcast adapter or pub/sub, when they use it. With the Redis broker,
    /// `pubsub` is ignored (the broker's channel already reaches every node) and the `redis`
    /// adapter is refused (every node would register each `PUBLISH` once).
    fn redis(&self, broker: BrokerKind) -> Result<Option<RedisSettings>, ConfigError> {
        let adapter = BroadcastAdapter::parse(&self.broadcast_adapter)?;
        let pubsub = PubSub::parse(&self.pubsub)? == PubSub::Redis && broker != BrokerKind::Redis;
        if adapter == BroadcastAdapter::Redis && broker == BrokerKind::Redis {
            return Err(ConfigError(REDIS_ADAPTER_WITH_REDIS_BROKER.into()));
        }
        if broker == BrokerKind::Redis {
            check_redis_url(self.redis_url_or_default())?;
        }
        if adapter != BroadcastAdapter::Redis && !pubsub {
            return Ok(None);
        }
        let redis = RedisSettings {
            url: self.redis_url_or_default().to_owned(),
            broadcast_channel: (adapter == BroadcastAdapter::Redis)
                .then(|| self.redis_channel.clone()),
            pubsub,
        };
        check_redis_url(&redis.url)?;
        Ok(Some(redis))
    }

    /// The `redisx` adapter's stream and group, when it is the broadcast adapter.
    fn redisx(&self) -> Result<Option<RedisxSettings>, ConfigError> {
        if BroadcastAdapter::parse(&self.broadcast_adapter)? != BroadcastAdapter::Redisx {
            return Ok(None);
        }
        for (name, value) in [
            ("redisxStream", &self.redisx_stream),
            ("redisxGroup", &self.redisx_group),
        ] {
            if value.is_empty() {
                return Err(ConfigError(format!("{name} must not be empty")));
            }
        }
        let url = self.redis_url_or_default();
        check_redis_url(url)?;
        Ok(Some(RedisxSettings {
            url: url.to_owned(),
            stream: self.redisx_stream.clone(),
            group: self.redisx_group.clone(),
        }))
    }

    /// What the broker keeps, or `None` without one.
    fn broker(&self, kind: BrokerKind) -> Result<Option<BrokerSettings>, ConfigError> {
        Count::HISTORY_LIMIT.check(self.history_limit)?;
        Seconds::HISTORY_TTL.check(self.history_ttl)?;
        Seconds::SESSIONS_TTL.check(self.sessions_ttl)?;
        Seconds::PRESENCE_TTL.check(self.presence_ttl)?;
        Seconds::PONG_TIMEOUT.check(self.pong_timeout)?;
        Ok(match kind {
            BrokerKind::Memory | BrokerKind::Redis => Some(BrokerSettings {
                history_limit: self.history_limit,
                history_ttl: self.history_ttl,
                sessions_ttl: self.sessions_ttl,
                presence_ttl: self.presence_ttl,
            }),
            BrokerKind::None => None,
        })
    }

    /// The per-connection bounds must each leave a client room to work.
    fn check_bounds(&self) -> Result<(), ConfigError> {
        Count::MAX_SUBSCRIPTIONS.check(self.max_subscriptions)?;
        Count::MAX_OUTGOING_BYTES.check(self.max_outgoing_bytes)?;
        Count::COMMAND_RATE.check(self.command_rate as usize)?;
        if self.public_streams_prefix.iter().any(String::is_empty) {
            // An empty prefix would quietly make every name public again.
            return Err(ConfigError(
                "publicStreamsPrefix entries must not be empty".into(),
            ));
        }
        Ok(())
    }
}

/// Why `broadcastAdapter: "redis"` and `broker: "redis"` cannot go together.
const REDIS_ADAPTER_WITH_REDIS_BROKER: &str = "broadcastAdapter \"redis\" cannot be used with broker \"redis\": every node takes each PUBLISH and would register it once per node; use broadcastAdapter \"redisx\" (XADD to redisxStream) or \"http\"";

fn check_redis_url(url: &str) -> Result<(), ConfigError> {
    ::redis::Client::open(url)
        .map(drop)
        .map_err(|e| ConfigError(format!("invalid redisUrl: {e}")))
}

/// The `headers` option as lower-cased names; a name that cannot be a header is refused.
fn application_header_names(names: &[String]) -> Result<Vec<String>, ConfigError> {
    names
        .iter()
        .map(|name| {
            hyper::header::HeaderName::from_bytes(name.trim().as_bytes())
                .map(|name| name.as_str().to_owned())
                .map_err(|_| ConfigError(format!("headers: {name:?} is not a header name")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream_signer(settings: &ServerSettings) -> Option<&StreamSigner> {
        settings.session.channels.stream_signer.as_ref()
    }

    fn metrics_of(config: Config) -> Result<Option<MetricsEndpoint>, ConfigError> {
        config.resolve().map(|settings| settings.metrics)
    }

    #[test]
    fn metrics_are_off_by_default_and_on_the_main_port_with_a_path() {
        assert_eq!(metrics_of(Config::default()), Ok(None));
        let on_main = |path: &str, port| Config {
            metrics_path: Some(path.into()),
            metrics_port: port,
            ..Config::default()
        };
        let endpoint = |path: &str, listener| {
            Ok(Some(MetricsEndpoint {
                path: path.into(),
                listener,
            }))
        };
        assert_eq!(
            metrics_of(on_main("/metrics", None)),
            endpoint("/metrics", None)
        );
        // The main port named again is the main port, as in the reference.
        assert_eq!(metrics_of(on_main("/m", Some(8080))), endpoint("/m", None));
    }

    #[test]
    fn a_metrics_port_gets_its_own_listener_on_the_main_host_unless_told() {
        let config = Config {
            metrics_port: Some(9090),
            ..Config::default()
        };
        assert_eq!(
            metrics_of(config.clone()).unwrap().unwrap(),
            MetricsEndpoint {
                path: "/metrics".into(),
                listener: Some(("127.0.0.1".into(), 9090)),
            }
        );
        let elsewhere = Config {
            metrics_host: Some("0.0.0.0".into()),
            metrics_path: Some("/stats".into()),
            ..config
        };
        assert_eq!(
            metrics_of(elsewhere).unwrap().unwrap().listener,
            Some(("0.0.0.0".into(), 9090))
        );
    }

    #[test]
    fn metrics_paths_are_checked() {
        let with_path = |path: &str| Config {
            metrics_path: Some(path.into()),
            ..Config::default()
        };
        let error = metrics_of(with_path("metrics")).unwrap_err();
        assert!(
            error.0.contains("metricsPath must start with '/'"),
            "{error}"
        );
        let error = metrics_of(with_path("/health")).unwrap_err();
        assert!(error.0.contains("healthPath"), "{error}");
        // On a port of their own the metrics may use any path.
        let own_port = Config {
            metrics_port: Some(9090),
            ..with_path("/health")
        };
        assert!(metrics_of(own_port).is_ok());
        let host_alone = Config {
            metrics_host: Some("0.0.0.0".into()),
            ..Config::default()
        };
        assert!(metrics_of(host_alone).is_err());
    }

    #[test]
    fn every_secret_falls_back_to_the_common_one() {
        let settings = Config {
            secret: Some("common".into()),
            ..Config::default()
        }
        .resolve()
        .unwrap();
        let token = Identificator::new(
            b"common",
            Ttl::from_seconds(60.0).unwrap(),
            Algorithm::HS256,
        )
        .unwrap()
        .generate("{}");
        assert!(settings
            .identity
            .identificator
            .as_ref()
            .unwrap()
            .verify(&token)
            .is_ok());
        let signed = StreamSigner::new(b"common").unwrap().sign("s");
        assert_eq!(
            stream_signer(&settings).unwrap().verify(&signed).as_deref(),
            Some("s")
        );
        assert_eq!(
            settings.broadcast_auth,
            BroadcastAuth::Key(broadcast_key(b"common"))
        );
    }

    #[test]
    fn specific_secrets_win() {
        let settings = Config {
            secret: Some("common".into()),
            jwt_secret: Some("jwt".into()),
            streams_secret: Some("streams".into()),
            broadcast_key: Some("bkey".into()),
            ..Config::default()
        }
        .resolve()
        .unwrap();
        let signed = StreamSigner::new(b"streams").unwrap().sign("s");
        assert!(stream_signer(&settings).unwrap().verify(&signed).is_some());
        assert_eq!(settings.broadcast_auth, BroadcastAuth::Key("bkey".into()));
    }

    #[test]
    fn no_secret_disables_what_needs_one() {
        let settings = Config::default().resolve().unwrap();
        assert!(settings.identity.identificator.is_none());
        assert!(stream_signer(&settings).is_none());
        assert_eq!(settings.broadcast_auth, BroadcastAuth::Disabled);
    }

    #[test]
    fn public_mode_implies_noauth_public_streams_and_open_broadcasts() {
        let settings = Config {
            public: true,
            ..Config::default()
        }
        .resolve()
        .unwrap();
        assert!(settings.identity.noauth && settings.session.channels.public_streams);
        assert_eq!(settings.broadcast_auth, BroadcastAuth::Open);
    }

    #[test]
    fn redisx_reads_its_stream_and_group_and_needs_no_other_redis_connection() {
        let settings = Config {
            broadcast_adapter: "redisx".into(),
            redis_url: Some("redis://cache:6379/1".into()),
            ..Config::default()
        }
        .resolve()
        .unwrap();
        let redisx = settings.redisx.expect("redisx is the adapter");
        assert_eq!(
            (
                redisx.url.as_str(),
                redisx.stream.as_str(),
                redisx.group.as_str()
            ),
            ("redis://cache:6379/1", "__anycable__", "bx")
        );
        assert!(settings.redis.is_none(), "no SUBSCRIBE without pub/sub");
        let with_pubsub = Config {
            broadcast_adapter: "redisx".into(),
            pubsub: "redis".into(),
            ..Config::default()
        }
        .resolve()
        .unwrap();
        let redis = with_pubsub.redis.expect("pub/sub uses Redis");
        assert!(redis.pubsub && redis.broadcast_channel.is_none());
        assert!(Config::default().resolve().unwrap().redisx.is_none());
        for (stream, group, error) in [
            ("", "bx", "redisxStream must not be empty"),
            ("s", "", "redisxGroup must not be empty"),
        ] {
            let refused = Config {
                broadcast_adapter: "redisx".into(),
                redisx_stream: stream.into(),
                redisx_group: group.into(),
                ..Config::default()
            }
            .resolve();
            assert_eq!(refused.err().unwrap().0, error);
        }
    }

    #[test]
    fn the_broker_is_in_memory_unless_turned_off() {
        let settings = Config::default().resolve().unwrap();
        assert_eq!(settings.broker, Some(BrokerSettings::default()));
        let off = Config {
            broker: "none".into(),
            ..Config::default()
        };
        assert_eq!(off.resolve().unwrap().broker, None);
        assert_eq!(settings.redis_broker, None);
    }

    #[test]
    fn numeric_options_out_of_range_are_refused_by_name() {
        let cases = [
            (
                Config {
                    ping_interval: Duration::from_secs(u64::MAX),
                    ..Config::default()
                },
                "pingInterval",
            ),
            (
                Config {
                    rpc_timeout: Duration::from_secs(3601),
                    ..Config::default()
                },
                "rpcTimeout",
            ),
            (
                Config {
                    rpc_timeout: Duration::ZERO,
                    ..Config::default()
                },
                "rpcTimeout",
            ),
            (
                Config {
                    rpc_concurrency: 0,
                    ..Config::default()
                },
                "rpcConcurrency",
            ),
            (
                Config {
                    max_message_size: u32::MAX as usize + 1,
                    ..Config::default()
                },
                "maxMessageSize",
            ),
            (
                Config {
                    history_limit: 0,
                    ..Config::default()
                },
                "historyLimit",
            ),
            (
                Config {
                    history_ttl: Duration::ZERO,
                    ..Config::default()
                },
                "historyTtl",
            ),
            (
                Config {
                    sessions_ttl: Duration::from_secs(86_401),
                    ..Config::default()
                },
                "sessionsTtl",
            ),
            (
                Config {
                    presence_ttl: Duration::ZERO,
                    ..Config::default()
                },
                "presenceTtl",
            ),
            (
                Config {
                    pong_timeout: Duration::from_secs(3601),
                    ..Config::default()
                },
                "pongTimeout",
            ),
            (
                Config {
                    broker: "nats".into(),
                    ..Config::default()
                },
                "broker",
            ),
        ];
        for (config, name) in cases {
            let error = config.resolve().err().expect(name);
            assert!(error.0.starts_with(name), "{name}: {error}");
        }
    }

    #[test]
    fn the_redis_broker_uses_redis_url_and_keeps_what_memory_would() {
        let settings = Config {
            broker: "redis".into(),
            redis_url: Some("redis://cache:6380/1".into()),
            ..Config::default()
        }
        .resolve()
        .unwrap();
        assert_eq!(
            settings.redis_broker,
            Some(RedisBrokerSettings {
                url: "redis://cache:6380/1".into()
            })
        );
        assert_eq!(settings.broker, Some(BrokerSettings::default()));
        assert!(settings.redis.is_none());
        let bad_url = Config {
            broker: "redis".into(),
            redis_url: Some("http://cache".into()),
            ..Config::default()
        };
        assert!(bad_url
            .resolve()
            .err()
            .unwrap()
            .0
            .starts_with("invalid redisUrl"));
    }

    #[test]
    fn pubsub_is_ignored_under_the_redis_broker() {
        let settings = Config {
            broker: "redis".into(),
            pubsub: "redis".into(),
            ..Config::default()
        }
        .resolve()
        .unwrap();
        assert!(settings.redis.is_none());
        assert!(settings.redis_broker.is_some());
    }

    #[test]
    fn the_redis_adapter_is_refused_with_the_redis_broker() {
        let error = Config {
            broker: "redis".into(),
            broadcast_adapter: "redis".into(),
            ..Config::default()
        }
        .resolve()
        .err()
        .unwrap();
        assert_eq!(
            error.0,
            "broadcastAdapter \"redis\" cannot be used with broker \"redis\": every node takes each \
             PUBLISH and would register it once per node; use broadcastAdapter \"redisx\" (XADD to \
             redisxStream) or \"http\""
        );
    }

    #[test]
    fn impossible_options_are_refused() {
        let bad = [
            Config {
                path: "cable".into(),
                ..Config::default()
            },
            Config {
                enforce_jwt: true,
                ..Config::default()
            },
            Config {
                ping_interval: Duration::ZERO,
                ..Config::default()
            },
            Config {
                max_message_size: 0,
                ..Config::default()
            },
            Config {
                jwt_param: String::new(),
                ..Config::default()
            },
            Config {
                handshake_timeout: Duration::ZERO,
                ..Config::default()
            },
            Config {
                handshake_timeout: Duration::from_secs(86_401),
                ..Config::default()
            },
            Config {
                max_pending_connections: 0,
                ..Config::default()
            },
            Config {
                headers: vec!["bad header".into()],
                ..Config::default()
            },
        ];
        for config in bad {
            assert!(config.resolve().is_err());
        }
    }

    #[test]
    fn zero_bounds_and_empty_public_prefixes_are_refused_by_name() {
        let bad = [
            (
                Config {
                    max_subscriptions: 0,
                    ..Config::default()
                },
                "maxSubscriptions",
            ),
            (
                Config {
                    max_outgoing_bytes: 0,
                    ..Config::default()
                },
                "maxOutgoingBytes",
            ),
            (
                Config {
                    command_rate: 0,
                    ..Config::default()
                },
                "commandRate",
            ),
            (
                Config {
                    public_streams_prefix: vec!["public/".into(), String::new()],
                    ..Config::default()
                },
                "publicStreamsPrefix",
            ),
        ];
        for (config, name) in bad {
            let error = config.resolve().err().expect(name);
            assert!(error.0.contains(name), "{error}");
        }
    }
}
