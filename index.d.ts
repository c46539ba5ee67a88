/** Connection identifiers carried in a token's `ext` claim, such as `{ user_id: 42 }`. */
export type Identifiers = Record<string, unknown>

/** A token lifetime: seconds, or a span such as `"30s"`, `"15m"`, `"1h"`, `"2 days"`, `"1w"`, `"1y"`. */
export type Ttl = number | string

/** Why a token was refused, as an AnyCable server says it on the wire. */
export type TokenErrorReason = 'token_expired' | 'unauthorized'

/** The code jose 4 gives the same token, as `@anycable/serverless-js` rejects with it. */
export type TokenErrorCode =
  | 'ERR_JWT_EXPIRED'
  | 'ERR_JWT_CLAIM_VALIDATION_FAILED'
  | 'ERR_JWT_INVALID'
  | 'ERR_JWS_INVALID'
  | 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'
  | 'ERR_JOSE_ALG_NOT_ALLOWED'
  | 'ERR_JOSE_NOT_SUPPORTED'

/** Why a token was refused: every token API throws or rejects with this for a bad token. */
export declare class TokenError extends Error {
  constructor(reason: TokenErrorReason, message: string, code: TokenErrorCode)
  readonly name: 'TokenError'
  /** `token_expired`: correctly signed but expired (`ERR_JWT_EXPIRED`); `unauthorized`: anything else. */
  readonly reason: TokenErrorReason
  /** jose's code for the same token, such as `ERR_JWT_EXPIRED`: what serverless-js callers test. */
  readonly code: TokenErrorCode
}

/** What `identificator()` returns: the `@anycable/serverless-js` API plus sync variants. */
export interface Identificator<I extends Identifiers = Identifiers> {
  /** The token lifetime in seconds. */
  readonly ttl: number
  /** An HS256 token with claims `{ ext: JSON.stringify(identifiers), iat, exp: iat + ttl }`. */
  generateToken(identifiers: I): Promise<string>
  /** The identifiers of a valid token by AnyCable's rules (the server's), `null` for any invalid or expired one. */
  verifyToken(token: string): Promise<I | null>
  /**
   * serverless-js's: the identifiers of a valid HS256 token, `null` when it has no string `ext`;
   * rejects with a `TokenError` otherwise (`ERR_JWT_EXPIRED` for an expired one).
   */
  verifyAndFetch(token: string): Promise<I | null>
  /**
   * serverless-js's: `true` for a valid HS256/384/512 token with an `iat` no older than the ttl;
   * rejects with a `TokenError` otherwise. `ext` is not read.
   */
  verify(token: string): Promise<true>
  /** As `generateToken`; throws `TypeError` for identifiers that would make a token over 8 KiB. */
  generateTokenSync(identifiers: I): string
  /** The identifiers of a valid token by AnyCable's rules; throws `TokenError` otherwise (`unauthorized` for an `ext` that is not JSON). */
  verifyTokenSync(token: string): I
}

/** serverless-js's name for `Identificator`. */
export type IIdentificator<I extends Identifiers = Identifiers> = Identificator<I>

/**
 * Issues and verifies AnyCable identification tokens for one secret; a drop-in for
 * `@anycable/serverless-js`'s `identificator`. Throws `TypeError` for an empty secret or invalid ttl.
 */
export declare function identificator<I extends Identifiers = Identifiers>(secret: string, ttl: Ttl): Identificator<I>

export type Algorithm = 'HS256' | 'HS384' | 'HS512'

export interface GenerateTokenOptions {
  secret: string
  /** Lifetime; default one hour. Ignored when `expiresAt` is given. */
  ttl?: Ttl
  /**
   * Absolute expiry: seconds since the epoch, or a valid Date; from 0 (a past time makes an expired
   * token) to now + 10^9 s (~31 years). Anything else is a `TypeError`.
   */
  expiresAt?: number | Date
  /** Default `HS256`. */
  algorithm?: Algorithm
}

/**
 * A token for `identifiers`, signed with `options.secret`. Throws `TypeError` for bad options (unknown
 * names included) and for identifiers that would make a token over 8 KiB, which no verifier accepts.
 */
export declare function generateToken(identifiers: Identifiers, options: GenerateTokenOptions): string

/**
 * The identifiers of a valid token (HS256, HS384 or HS512); throws `TokenError` otherwise. The
 * options may also carry `generateToken`'s names, which verification ignores.
 */
export declare function verifyToken<I extends Identifiers = Identifiers>(token: string, options: { secret: string }): I

/** Signs a stream name (Rails `MessageVerifier`, SHA256, JSON) for `$pubsub` / Turbo subscriptions. */
export declare function signStream(name: string, secret: string): string

/** The stream name inside a signed name, or `null` when the signature does not match. */
export declare function verifyStream(signed: string, secret: string): string | null

/** The HTTP broadcast key AnyCable derives from the common secret: `hex(HMAC_SHA256(secret, "broadcast-cable"))`. */
export declare function broadcastKey(secret: string): string

/**
 * The key an AnyCable server configured with `secret` sends to an RPC endpoint as
 * `Authorization: Bearer <key>`: `hex(HMAC_SHA256(secret, "rpc-cable"))`. Throws `TypeError` for an empty secret.
 */
export declare function rpcKey(secret: string): string

/** `meta` of an HTTP broadcast (serverless-js's `IMetadata`), passed to the server as is. */
export interface IMetadata {
  /** Not kept in history and given no `offset`. */
  transient?: boolean
  /** The session id (`sid`) of a client that must not receive it, as Rails `to_others` does. */
  exclude_socket?: string
  /** A broadcast type the server passes on. */
  broadcast_type?: string
}

/** The body `broadcaster` posts for one broadcast (serverless-js's `IPayload`); a batch posts an array of them. */
export interface IPayload {
  stream: string
  /** `JSON.stringify(data)`. */
  data: string
  meta?: IMetadata
}

/**
 * Broadcasts `data` (JSON-encoded) to `stream`; resolves once the server accepted it, rejects with
 * an `Error` carrying the HTTP `status` otherwise, and with a `TypeError` for bad arguments.
 */
export type IBroadcast = (stream: string, data: unknown, meta?: IMetadata) => Promise<void>

/** `broadcaster` options. */
export interface BroadcasterOptions {
  /**
   * Send the broadcasts made in the same tick as one request whose body is a JSON array; every
   * caller's promise settles with that request's outcome. Default `false`.
   */
  batch?: boolean
}

/**
 * Drop-in for serverless-js's `broadcaster(url, key)`: POSTs `{ stream, data, meta? }` to `url`
 * (e.g. `http://localhost:8080/_broadcast`) with `Authorization: Bearer <key>` when a key is given,
 * over kept-alive connections. Throws `TypeError` when `url` is not an absolute URL.
 */
export declare function broadcaster(url: string, key?: string | null, options?: BroadcasterOptions): IBroadcast

/** Signs stream names with `secret` (serverless-js's `IStreamSigner`). */
export type IStreamSigner = (stream: string) => string

/** Drop-in for serverless-js's `signer(secret)`: `stream => signStream(stream, secret)`. Throws `TypeError` for an empty secret. */
export declare function signer(secret: string): IStreamSigner

/** `createCableServer` options: the AnyCable server's flags, camelCased, with the same defaults. */
export interface CableServerOptions {
  // <options: generated by scripts/option-docs.mjs from lib/options.js; npm run options:docs>
  /** Address to listen on; default `127.0.0.1`. */
  host?: string
  /** Port to listen on; 0 to 65535, 0 = any free port; default `8080`. */
  port?: number
  /** The WebSocket endpoint; default `/cable`. */
  path?: string
  /** The common secret; `jwtSecret`, `streamsSecret` and the broadcast key fall back to it. */
  secret?: string
  /** Verifies tokens; default `secret`. */
  jwtSecret?: string
  /**
   * Token query parameter and `X-<param>` header name; the token is read from the `X-JID` header,
   * then an `anycable-token.<token>` sub-protocol, then `?jid=` (for the default `jid`); default
   * `jid`.
   */
  jwtParam?: string
  /** Refuse connections without a valid token; default `false`. */
  enforceJwt?: boolean
  /** Accept tokenless connections as anonymous; default `false`. */
  noauth?: boolean
  /**
   * Verifies `$pubsub` signed stream names; without any secret signed subscriptions are rejected;
   * default `secret`.
   */
  streamsSecret?: string
  /**
   * Allow `$pubsub` subscriptions to unsigned stream names
   * (`{"channel":"$pubsub","stream_name":…}`); that makes every name public: read the warning under
   * the README's options table; default `false`.
   */
  publicStreams?: boolean
  /**
   * With `publicStreams`, only plain names starting with one of these prefixes are public; an
   * array, or a comma-separated string; without it every name is public, including those behind
   * signed streams; default every name.
   */
  publicStreamsPrefix?: string | string[]
  /**
   * Public mode: `noauth` + `publicStreams`, and HTTP broadcasts without a key unless one is
   * configured (`secret` or `broadcastKey`); default `false`.
   */
  public?: boolean
  /** Serve `Turbo::StreamsChannel` with signed stream names; default `false`. */
  turboStreams?: boolean
  /** Allow whispers on signed streams (always allowed on public ones); default `false`. */
  streamsWhisper?: boolean
  /**
   * Bearer key for HTTP broadcasts: `POST <broadcastPath>` with `Authorization: Bearer <key>`;
   * default derived: `broadcastKey(secret)`.
   */
  broadcastKey?: string
  /** The HTTP broadcast endpoint; default `/_broadcast`. */
  broadcastPath?: string
  /**
   * Browser origins allowed to connect; others get HTTP 403; `host[:port]` matches http and https,
   * `scheme://host[:port]` only that scheme; `*.example.com` matches subdomains (whole labels); an
   * array or a comma-separated string; the README's "Origin matching" has every rule; default any.
   */
  allowedOrigins?: string[] | string
  /** Seconds between pings; 0.01 to 3600 seconds; default `3`. */
  pingInterval?: number
  /**
   * Largest client frame; larger ones close the connection with 1009; 1 to 4294967295 bytes;
   * default `65536`.
   */
  maxMessageSize?: number
  /**
   * Subscriptions one connection may hold; more get `reject_subscription`; 1 to 4294967295; default
   * `1000`.
   */
  maxSubscriptions?: number
  /**
   * Bytes waiting to be sent to one client before it is disconnected as `too_slow`; 1 to 4294967295
   * bytes; default `1048576` (1 MiB).
   */
  maxOutgoingBytes?: number
  /**
   * Commands per second one connection may send, in bursts of as many; a faster client is read more
   * slowly; 1 to 4294967295 commands per second; default `100`.
   */
  commandRate?: number
  /** Answers 200; default `/health`. */
  healthPath?: string
  /**
   * The least severe events logged: `debug` adds every connection's end (reason, sid) and every
   * refusal; the README's "Logs" says what each level logs; default `info`.
   */
  logLevel?: 'debug' | 'info' | 'warn' | 'error'
  /**
   * Stderr lines: `text` (`time LEVEL anycable-rs: message key=value …`) or `json` (one object per
   * line); ignored with `logger`; default `text`.
   */
  logFormat?: 'text' | 'json'
  /**
   * Log through this object instead of stderr: any object with `debug`, `info`, `warn` and `error`
   * methods (pino, `console`); called as `logger[level](fields, message)`, pino's order; a logger
   * that throws is skipped, and that is said once on stderr.
   */
  logger?: CableLogger
  /**
   * An `Application` (this package's or `@anycable/serverless-js`'s) that answers every channel but
   * `$pubsub` / Turbo streams, in this process; duck-typed: `buildHandle`, `handleOpen`,
   * `handleCommand`, `handleClose`, `encodeIdentifiers`, `decodeIdentifiers`; tokenless clients go
   * to its `connect`; the README's "Channels written in Node" shows one.
   */
  application?: ServerlessApplication
  /**
   * Base URL of an AnyCable RPC-over-HTTP endpoint answering application channels instead; called
   * as `POST {rpcHost}/connect|command|disconnect`.
   */
  rpcHost?: string
  /**
   * Seconds an application call may take before the client gets a reject / `unauthorized`; 0.01 to
   * 3600 seconds; default `5`.
   */
  rpcTimeout?: number
  /** Application calls in flight at once; more wait their turn; 1 to 4294967295; default `64`. */
  rpcConcurrency?: number
  /**
   * Redis for the `redis` / `redisx` broadcast adapters, pub/sub and the `redis` broker; the
   * README's "Several processes" shows a setup; default `redis://localhost:6379`.
   */
  redisUrl?: string
  /**
   * `redis` also takes publications from `PUBLISH <redisChannel>` (every node), `redisx` from `XADD
   * <redisxStream>` entries (one node takes each); `http`: the HTTP endpoint only; the README's
   * "The redisx broadcast adapter" says what each guarantees; default `http`.
   */
  broadcastAdapter?: 'http' | 'redis' | 'redisx'
  /** The `redis` broadcast adapter's Redis channel; default `__anycable__`. */
  redisChannel?: string
  /**
   * The Redis Stream the `redisx` broadcast adapter reads (field `payload`, as the AnyCable SDKs
   * send); default `__anycable__`.
   */
  redisxStream?: string
  /** The consumer group every node reads `redisxStream` through; default `bx`. */
  redisxGroup?: string
  /** `redis`: broadcasts made on any node reach every node's clients; default `none`. */
  pubsub?: 'none' | 'redis'
  /**
   * Seconds a connection may take to send its request headers, idle between keep-alive requests, or
   * send a broadcast body, before it is closed; 0.01 to 86400 seconds; default `10`.
   */
  handshakeTimeout?: number
  /**
   * Connections still in their request or upgrade at once; at the cap the oldest is closed to make
   * room; 1 to 4294967295; default `1024`.
   */
  maxPendingConnections?: number
  /**
   * WebSocket sessions at once; upgrades beyond it get HTTP 503; 0 to 4294967295, 0 = unlimited;
   * default `0` (unlimited).
   */
  maxConnections?: number
  /**
   * Request headers the application sees in `env.headers`; names, case-insensitive; an array or a
   * comma-separated string; default `cookie`.
   */
  headers?: string[] | string
  /**
   * `memory`: broadcasts get stream offsets and are kept for history, extended-protocol sessions
   * can be resumed and presence works, in this process; `redis`: the same for every node sharing
   * `redisUrl` (one epoch, history read from any node); `none`: off; `none` is the reference's
   * legacy behaviour: every history request gets `reject_history`; default `memory`.
   */
  broker?: 'memory' | 'redis' | 'none'
  /** Messages kept per stream for history; 1 to 100000; default `100`. */
  historyLimit?: number
  /** Seconds a stream's messages are kept for history; 1 to 86400 seconds; default `300`. */
  historyTtl?: number
  /**
   * Seconds a disconnected extended-protocol session can be resumed; 0 to 86400 seconds, 0 = off;
   * default `300`.
   */
  sessionsTtl?: number
  /** Seconds a disconnected session stays present; 1 to 3600 seconds; default `15`. */
  presenceTtl?: number
  /**
   * Seconds an extended-protocol client may send nothing before it is disconnected with `no_pong`;
   * 0 to 3600 seconds, 0 = off; default `0` (off).
   */
  pongTimeout?: number
  /**
   * Allow presence on signed streams (always on public ones, never on Turbo ones); default `true`.
   */
  streamsPresence?: boolean
  /**
   * End a session with `token_expired` (`reconnect: false`) when its token's `exp` passes; default
   * `false`.
   */
  disconnectOnTokenExpiry?: boolean
  /**
   * Serve Prometheus metrics here (e.g. `/metrics`); on the main port they need the broadcast key,
   * as `broadcastPath` does; the README's "Metrics" lists them; `server.metrics()` returns the same
   * figures; default off (`/metrics` with `metricsPort`).
   */
  metricsPath?: string
  /**
   * Serve the metrics on a listener of their own, on this port, without authentication (keep it
   * private); `listen()` resolves `metricsUrl`; 0 to 65535, 0 = any free port; default `port`.
   */
  metricsPort?: number
  /** Address the metrics listener (`metricsPort`) binds; default `host`. */
  metricsHost?: string
  // </options>
}

/**
 * What the `logger` option takes: pino, `console`, or any object with these four methods. Each is
 * called as `logger[level](fields, message)` (pino's argument order): `fields` holds the event's
 * values as strings (`sid`, `reason`, `error`, …), never a token, a secret, a key or a Redis
 * password.
 */
export interface CableLogger {
  debug(fields: Record<string, string>, message: string): unknown
  info(fields: Record<string, string>, message: string): unknown
  warn(fields: Record<string, string>, message: string): unknown
  error(fields: Record<string, string>, message: string): unknown
}

/** The part of an `Application` (this package's or serverless-js's) the server and the handlers use. */
export interface ServerlessApplication {
  buildHandle(id: string, env: unknown): unknown
  handleOpen(handle: unknown): Promise<void>
  handleCommand(handle: unknown, command: string, identifier: string, data: string | null): Promise<void>
  handleClose(handle: unknown, subscriptions: string[] | null): Promise<void>
  encodeIdentifiers(identifiers: unknown): string
  decodeIdentifiers(identifiers: string): unknown
}

// Channels and AnyCable RPC: @anycable/serverless-js's API and wire shapes.

/** AnyCable RPC answer status (serverless-js's enum). */
export declare enum Status {
  ERROR = 0,
  SUCCESS = 1,
  FAILURE = 2,
}

/** A connection's env in an RPC request. */
export type Env = {
  url: string
  headers?: Record<string, string> | null
  /** Connection state (set by the application, sent back with every call). */
  cstate?: Record<string, string> | null
  /** Channel state: the JSON of a subscription's `state`, by identifier. */
  istate?: Record<string, string> | null
}

/** The env changes in an RPC answer. */
export type EnvResponse = {
  cstate?: Record<string, string> | null
  istate?: Record<string, string> | null
}

/** `POST …/connect` body. */
export type ConnectionRequest = { env: Env }

export type ConnectionResponse = {
  status: Status
  identifiers: string | null
  transmissions: string[] | null
  error_msg: string | null
  env: EnvResponse
}

/** `POST …/command` body. */
export type CommandMessage = {
  command: string
  identifier: string
  connection_identifiers: string
  data: string | null
  env: Env
}

export type CommandResponse = {
  status: Status
  disconnect: boolean
  stop_streams: boolean
  streams: string[] | null
  transmissions: string[] | null
  error_msg: string | null
  env: EnvResponse
  stopped_streams: string[] | null
}

/** `POST …/disconnect` body. */
export type DisconnectRequest = {
  identifiers: string
  subscriptions: string[]
  env: Env
}

export type DisconnectResponse = {
  status: Status
  error_msg: string | null
}

/** A connection's identifiers, such as `{ userId: string }`. */
export type IdentifiersMap = { [id: string]: unknown }

/** A subscription's params: the channel identifier's members but `channel`. */
export type ChannelParamsMap = { [token: string]: boolean | number | string }

/** A subscription's state, kept between its commands. */
export type ChannelState = { [key: string]: any }

/** What a channel handle reads from its connection. */
interface ConnectionDelegate<I = {}> {
  get env(): Env
  get identifiers(): I | null
}

/** One RPC call's view of a connection; collects the answer. */
export declare class ConnectionHandle<IdentifiersType extends IdentifiersMap = {}> {
  /** `id`: the session id; `env`: the request's env. */
  constructor(id: string | null, env: Env)
  /** The session id (`sid`). */
  readonly id: string | null
  rejected: boolean
  closed: boolean
  /** Frames for the client, as JSON strings. */
  transmissions: string[]
  streams: string[]
  stoppedStreams: string[]
  stopStreams: boolean
  env: Env
  identifiers: IdentifiersType | null
  /** Refuses the connection (at connect: `disconnect` with `unauthorized`) or fails the command. */
  reject(): this
  /** Sends a frame to the client: a string as is, anything else as its JSON. */
  transmit(data: unknown): this
  streamFrom(name: string): this
  stopStreamFrom(name: string): this
  stopAllStreams(): this
  /** Closes the connection after this command. */
  close(): this
  /** Sets the connection's identifiers (sent back with every later call). */
  identifiedBy(identifiers: IdentifiersType): this
  /** The handle for subscription `identifier`, with its saved state. */
  buildChannelHandle(identifier: string): ChannelHandle<IdentifiersType>
  /** Takes a subscription's results (rejection, transmissions, state, streams) into this answer. */
  mergeChannelHandle(handle: ChannelHandle<IdentifiersType>): this
  /** The `env` part of the answer. */
  get envChanges(): EnvResponse
}

/** What a channel callback gets for one subscription. */
export declare class ChannelHandle<I, S extends ChannelState = {}, T = any> {
  constructor(delegate: ConnectionDelegate<I>, identifier: string, state: Partial<S>)
  readonly identifier: string
  private delegate
  /** Saved between this subscription's commands (as `istate`). */
  state: Partial<S>
  rejected: boolean
  transmissions: T[]
  streams: string[]
  stoppedStreams: string[]
  stopStreams: boolean
  /** Rejects the subscription (at `subscribe`) or fails the command. */
  reject(): this
  streamFrom(name: string): this
  stopStreamFrom(name: string): this
  stopAllStreams(): this
  /** Sends `data` to this client as a message of this subscription. */
  transmit(data: T): this
  get env(): Env
  get identifiers(): I | null
}

/** The type of a channel method that answers a client's `perform(action, ...args)`. */
export type ServerAction<
  ClientActions extends (...args: any[]) => void,
  I,
  S extends ChannelState = {},
  T = any,
  P extends ChannelParamsMap = {},
> = (handle: ChannelHandle<I, S, T>, params: P, ...args: Parameters<ClientActions>) => ReturnType<ClientActions>

/**
 * A channel: extend it, override `subscribed` / `unsubscribed`, add a method per action. Only
 * methods the subclass defines are actions: never `subscribed`, `unsubscribed`, `handleAction`,
 * `constructor`, or anything from `Channel.prototype` or `Object.prototype`.
 */
export declare class Channel<
  IdentifiersType,
  ParamsType extends ChannelParamsMap = {},
  TransmissionsType = any,
  StateType extends ChannelState = {},
> {
  /** Called on `subscribe`; `handle.reject()` refuses it. */
  subscribed(handle: ChannelHandle<IdentifiersType, StateType, TransmissionsType>, params: ParamsType | null): Promise<void>
  /** Called on `unsubscribe` and for each subscription when the connection closes. */
  unsubscribed(handle: ChannelHandle<IdentifiersType, StateType, TransmissionsType>, params: ParamsType | null): Promise<void>
  /** Runs the subclass's method `action`; rejects with `Unknown action: <name>` otherwise. */
  handleAction(
    handle: ChannelHandle<IdentifiersType, StateType, TransmissionsType>,
    params: ParamsType | null,
    action: string,
    payload: any,
  ): Promise<void>
}

/**
 * Channels by name plus `connect` / `disconnect` to override; serve it in-process
 * (`createCableServer({ application })`) or over RPC (`handler(request, app)`).
 */
export declare class Application<IdentifiersType extends IdentifiersMap = {}> {
  /** Serves `channel` (an instance) for identifiers `{"channel":"<name>",…}`; TypeError otherwise. */
  registerChannel(channelName: string, channel: Channel<IdentifiersType>): void
  buildHandle(id: string | null, env: Env): ConnectionHandle<IdentifiersType>
  /**
   * Runs `connect`, then transmits `welcome`, or `disconnect` (`unauthorized`; `token_expired` when
   * `connect` threw an error with `code === 'ERR_JWT_EXPIRED'`).
   */
  handleOpen(handle: ConnectionHandle<IdentifiersType>): Promise<void>
  /** Authenticates a tokenless connection: override. */
  connect(handle: ConnectionHandle<IdentifiersType>): Promise<void>
  handleCommand(handle: ConnectionHandle<IdentifiersType>, command: string, identifier: string, data: string | null): Promise<void>
  /** `unsubscribed` for each subscription, then `disconnect`. */
  handleClose(handle: ConnectionHandle<IdentifiersType>, subscriptions: string[] | null): Promise<void>
  /** Cleans up after a connection: override. */
  disconnect(handle: ConnectionHandle<IdentifiersType>): Promise<void>
  encodeIdentifiers(identifiers: IdentifiersType): string
  decodeIdentifiers(identifiers: string): IdentifiersType
  /** The channel and params of an identifier; an Error when it is not registered or not JSON. */
  findChannel(identifier: string): { channel: Channel<IdentifiersType>; params: any }
}

/**
 * Answers an AnyCable RPC request (a Next.js route's `Request`), chosen by the path's last segment:
 * `connect`, `command` or `disconnect`; rejects with `Unknown RPC method: <segment>` otherwise.
 * `export const POST = async req => Response.json(await handler(req, app))`.
 */
export declare function handler(
  request: Request,
  app: ServerlessApplication,
): Promise<ConnectionResponse | CommandResponse | DisconnectResponse>
export declare function connectHandler(request: Request, app: ServerlessApplication): Promise<ConnectionResponse>
export declare function commandHandler(request: Request, app: ServerlessApplication): Promise<CommandResponse>
export declare function disconnectHandler(request: Request, app: ServerlessApplication): Promise<DisconnectResponse>

/**
 * Whether `request` carries `Authorization: Bearer hex(HMAC_SHA256(secret, "rpc-cable"))`, the key
 * an AnyCable server configured with `secret` sends; compared in constant time.
 */
export declare function verifyRpcRequest(request: Request, secret: string): boolean

export interface ListenInfo {
  /** `ws://host:port/path`, for clients. */
  url: string
  host: string
  port: number
  /** `http://host:port/path` of the Prometheus metrics, when `metricsPath` or `metricsPort` serves them. */
  metricsUrl?: string
}

/** A Prometheus histogram: cumulative counts per upper bound (`+Inf` is `count`). */
export interface MetricsHistogram {
  buckets: Array<{ le: number; count: number }>
  sum: number
  count: number
}

/**
 * `server.metrics()`: what `GET <metricsPath>` serves, keyed by name without the `anycable_go_`
 * prefix. The names and meanings are the AnyCable server's where it has the same figure.
 */
export interface CableServerMetrics {
  /** Sessions welcomed (authenticated) and still open. */
  clients_num: number
  /** Distinct connection identifiers among them (anonymous sessions share one). */
  clients_uniq_num: number
  /** Messages received from clients. */
  client_msg_total: number
  /** Of those, the ones that were not a command the server acts on (unknown, malformed, binary). */
  failed_client_msg_total: number
  /** Broadcasts that found subscribers on this node. */
  broadcast_msg_total: number
  /** Broadcasts refused as invalid: HTTP bodies answered 422, and invalid `redisx` entries. */
  failed_broadcast_msg_total: number
  /** Streams with at least one subscriber here. */
  broadcast_streams_num: number
  /** Application calls (`connect`, `command`, `disconnect`), in process or over `rpcHost`. */
  rpc_call_total: number
  /** Of those, the ones that failed: threw, timed out, answered badly or could not be reached. */
  rpc_error_total: number
  /** Of those, the ones that took longer than `rpcTimeout`. */
  rpc_timeouts_total: number
  /** Calls waiting for one of the `rpcConcurrency` slots. */
  rpc_pending_num: number
  /** Connections refused as `unauthorized`. */
  failed_auths_total: number
  /** Frames sent to clients. */
  server_msg_total: number
  /** Bytes of those frames. */
  data_sent_total: number
  /** Bytes of the messages received from clients. */
  data_rcvd_total: number
  /**
   * Sessions ended, by reason: the disconnect frame's `reason`, `client_closed` (the client closed
   * or went away) or `protocol_error` (malformed JSON, binary or oversized frames).
   */
  disconnect_total: Record<
    | 'unauthorized'
    | 'token_expired'
    | 'server_restart'
    | 'too_slow'
    | 'no_pong'
    | 'remote'
    | 'client_closed'
    | 'protocol_error',
    number
  >
  /** Seconds a broadcast takes to reach every local subscriber's queue. */
  broadcast_fanout_seconds: MetricsHistogram
  /** Frames waiting in a client's queue each time it is written to (how far clients lag). */
  outbox_depth: MetricsHistogram
  /** Seconds an application call takes, its wait for a slot included (with an application). */
  rpc_duration_seconds?: MetricsHistogram
}

export interface CableServerStats {
  connections: number
  streams: number
  subscriptions: number
  /** With Redis (`broadcastAdapter`, `pubsub` or `broker: 'redis'`): whether all its connections are up. */
  redisConnected?: boolean
  /**
   * With Redis: this node's broadcasts that did not reach the other nodes (queue full, Redis down
   * or stalled); with `broker: 'redis'`, `server.broadcast` calls delivered on this node only,
   * without a position, while Redis was unavailable.
   */
  redisDropped?: number
  /** With Redis: `POST /_broadcast` publications answered 503 because Redis could not register them. */
  redisRefused?: number
  /** With Redis: `redisx` entries this node took over from a reader that had not acknowledged them (delivered now, possibly again). */
  redisReclaimed?: number
  /** With Redis: `redisx` entries dropped because they held no valid publication. */
  redisInvalid?: number
}

export interface CableServerFeatures {
  jwt: boolean
  enforceJwt: boolean
  noauth: boolean
  signedStreams: boolean
  publicStreams: boolean
  turboStreams: boolean
  streamsWhisper: boolean
  /** `key`: `POST /_broadcast` needs the key; `public`: no key needed; `off`: no key configured. */
  httpBroadcast: 'key' | 'public' | 'off'
  /** Who answers application channels. */
  application: 'in-process' | 'http' | 'off'
  /** Whether `PUBLISH <redisChannel>` broadcasts are taken. */
  redisBroadcasts: boolean
  /** The stream `redisx` entries are read from, when `broadcastAdapter` is `redisx`. */
  redisxStream?: string
  /** Whether broadcasts reach every node through Redis. */
  redisPubsub: boolean
}

/** `server.broadcast` options. */
export interface BroadcastOptions {
  /** Not kept in history and given no `offset` (like a whisper); default false. */
  transient?: boolean
  /** The session id (`sid`) of a client that must not receive it, as Rails `to_others` does. */
  excludeSocket?: string
}

/** An AnyCable-compatible WebSocket server running inside this Node process. */
/** Who is present on a stream: `server.presence(stream)`. */
export interface StreamPresence {
  /** How many presence ids (users) are present. */
  total: number
  records: Array<{ id: string; info?: unknown }>
}

export declare class CableServer {
  /** Same as `createCableServer(options)`. */
  constructor(options?: CableServerOptions)
  /** Starts listening. Rejects when the port is in use. Keeps the process alive until `close()`. */
  listen(): Promise<ListenInfo>
  /**
   * Sends `data` (any JSON value) to every subscriber of `stream` (with `pubsub: 'redis'`, on every
   * node). Does nothing while the server is not listening. Clients drop falsy messages (`0`, `""`,
   * `false`, `null`), as Action Cable clients do. With a broker (the default) it gets the
   * stream's next offset and is kept for history unless `transient`. Throws TypeError for unknown
   * or mistyped options, and Error when too many broadcasts wait for their offset.
   */
  broadcast(stream: string, data: unknown, options?: BroadcastOptions): void
  /**
   * Who is present on `stream` (presence, extended protocol): one record per presence id, `info`
   * as the client joined with it. Rejects while not listening or with `broker: 'none'`.
   */
  presence(stream: string): Promise<StreamPresence>
  stats(): CableServerStats
  /**
   * The Prometheus metrics as a plain object (see `CableServerMetrics`), for exporting through an
   * application's own registry; `null` while not listening. Counted whether or not `metricsPath`
   * serves them.
   */
  metrics(): CableServerMetrics | null
  /** Which features the options turn on (never the secrets). */
  features(): CableServerFeatures
  /** Graceful shutdown: every client gets `server_restart` (reconnect) and Close 1001. */
  close(): Promise<void>
}

/** Creates (but does not start) a cable server; throws `TypeError` for unknown or invalid options. */
export declare function createCableServer(options?: CableServerOptions): CableServer

declare const anycable: {
  TokenError: typeof TokenError
  identificator: typeof identificator
  generateToken: typeof generateToken
  verifyToken: typeof verifyToken
  signStream: typeof signStream
  verifyStream: typeof verifyStream
  broadcastKey: typeof broadcastKey
  rpcKey: typeof rpcKey
  broadcaster: typeof broadcaster
  signer: typeof signer
  createCableServer: typeof createCableServer
  CableServer: typeof CableServer
  Status: typeof Status
  ConnectionHandle: typeof ConnectionHandle
  ChannelHandle: typeof ChannelHandle
  Channel: typeof Channel
  Application: typeof Application
  handler: typeof handler
  connectHandler: typeof connectHandler
  commandHandler: typeof commandHandler
  disconnectHandler: typeof disconnectHandler
  verifyRpcRequest: typeof verifyRpcRequest
}
export default anycable
