/** Connection identifiers carried in a token's `ext` claim, such as `{ user_id: 42 }`. */
export type Identifiers = Record<string, unknown>

/** A token lifetime: seconds, or a span such as `"30s"`, `"15m"`, `"1h"`, `"2 days"`, `"1w"`, `"1y"`. */
export type Ttl = number | string

export type TokenErrorCode = 'token_expired' | 'unauthorized'

/** Why a token was refused. `code` is the reason an AnyCable server sends on the wire. */
export declare class TokenError extends Error {
  constructor(code: TokenErrorCode, message: string)
  readonly name: 'TokenError'
  /** `token_expired`: correctly signed but `now >= exp`; `unauthorized`: anything else. */
  readonly code: TokenErrorCode
}

/** What `identificator()` returns: the `@anycable/serverless-js` API plus sync variants. */
export interface Identificator<I extends Identifiers = Identifiers> {
  /** The token lifetime in seconds. */
  readonly ttl: number
  /** An HS256 token with claims `{ ext: JSON.stringify(identifiers), iat, exp: iat + ttl }`. */
  generateToken(identifiers: I): Promise<string>
  /** The identifiers of a valid token, `null` for any invalid or expired one. */
  verifyToken(token: string): Promise<I | null>
  /** Same as `verifyToken` (the serverless-js name). */
  verifyAndFetch(token: string): Promise<I | null>
  /** Resolves `true` for a valid token; rejects with a `TokenError` otherwise. */
  verify(token: string): Promise<true>
  /** As `generateToken`; throws `TypeError` for identifiers that would make a token over 8 KiB. */
  generateTokenSync(identifiers: I): string
  /** The identifiers of a valid token; throws `TokenError` otherwise (`unauthorized` for an `ext` that is not JSON). */
  verifyTokenSync(token: string): I
}

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

/** `createCableServer` options: the AnyCable server's flags, camelCased, with the same defaults. */
export interface CableServerOptions {
  /** Default `127.0.0.1`. */
  host?: string
  /** Default 8080; 0 picks any free port; 0 to 65535. */
  port?: number
  /** The WebSocket endpoint; default `/cable`. */
  path?: string
  /** The common secret: JWT, signed streams and the HTTP broadcast key fall back to it. */
  secret?: string
  jwtSecret?: string
  /** Token query parameter / `X-<param>` header name; default `jid`. */
  jwtParam?: string
  /** Refuse connections without a valid token. */
  enforceJwt?: boolean
  /** Accept tokenless connections as anonymous. */
  noauth?: boolean
  streamsSecret?: string
  /** Allow `$pubsub` subscriptions to unsigned stream names. */
  publicStreams?: boolean
  /**
   * With `publicStreams`, only plain names starting with one of these prefixes are public (an
   * array, or a comma-separated string); default: every name, including those behind signed streams.
   */
  publicStreamsPrefix?: string | string[]
  /** Public mode: `noauth` + `publicStreams` + HTTP broadcasts without a key. */
  public?: boolean
  /** Serve `Turbo::StreamsChannel` with signed stream names. */
  turboStreams?: boolean
  /** Allow whispers on signed streams (always allowed on public ones). */
  streamsWhisper?: boolean
  /** Bearer key for `POST /_broadcast`; default derived from `secret`. */
  broadcastKey?: string
  /** Default `/_broadcast`. */
  broadcastPath?: string
  /**
   * Browser origins allowed to connect; default any. `host[:port]` matches http and https,
   * `scheme://host[:port]` only that scheme; `*.example.com` matches subdomains (whole labels).
   */
  allowedOrigins?: string[] | string
  /** Seconds between pings; default 3; 0.01 to 3600. */
  pingInterval?: number
  /** Largest client frame in bytes; default 65536; 1 to 4294967295. */
  maxMessageSize?: number
  /** Subscriptions one connection may hold; more get `reject_subscription`; default 1000. */
  maxSubscriptions?: number
  /** Bytes waiting to be sent to one client before it is disconnected as `too_slow`; default 1 MiB. */
  maxOutgoingBytes?: number
  /** Commands per second one connection may send, in bursts of as many; faster clients are read more slowly; default 100. */
  commandRate?: number
  /** Default `/health`. */
  healthPath?: string
  /**
   * A `@anycable/serverless-js` Application (duck-typed: `buildHandle`, `handleOpen`,
   * `handleCommand`, `handleClose`, `encodeIdentifiers`, `decodeIdentifiers`) that answers every
   * channel but `$pubsub` / Turbo streams, in this process. Tokenless clients go to its `connect`.
   */
  application?: ServerlessApplication
  /** Base URL of an AnyCable RPC-over-HTTP endpoint (`POST {rpcHost}/connect|command|disconnect`). */
  rpcHost?: string
  /** Seconds an application call may take before the client gets a reject / unauthorized; default 5; 0.01 to 3600. */
  rpcTimeout?: number
  /** Application calls in flight at once; default 64; 1 to 4294967295. */
  rpcConcurrency?: number
  /** Redis for the broadcast adapter and pub/sub; default `redis://localhost:6379`. */
  redisUrl?: string
  /** `redis` also takes publications from `PUBLISH <redisChannel>`; default `http` (the endpoint only). */
  broadcastAdapter?: 'http' | 'redis'
  /** The broadcast adapter's Redis channel; default `__anycable__`. */
  redisChannel?: string
  /** `redis`: broadcasts made on any node reach every node's clients; default `none`. */
  pubsub?: 'none' | 'redis'
  /**
   * Seconds a connection may take to send its request headers (or idle between keep-alive
   * requests) and a broadcast body before it is closed; default 10.
   */
  handshakeTimeout?: number
  /** Connections still in their request or upgrade at once; at the cap the oldest is closed. Default 1024. */
  maxPendingConnections?: number
  /** WebSocket sessions at once; upgrades beyond it get HTTP 503. Default 0 (unlimited). */
  maxConnections?: number
  /** Request headers the application sees (case-insensitive names); default `['cookie']`. */
  headers?: string[] | string
  /**
   * `'memory'` (default): broadcasts get stream offsets and are kept for history, extended-protocol
   * sessions can be resumed and presence works, in this process. `'none'`: the reference's legacy
   * behaviour (every history request gets `reject_history`).
   */
  broker?: 'memory' | 'none'
  /** Messages kept per stream for history; default 100 (1 to 100000). */
  historyLimit?: number
  /** Seconds a stream's messages are kept for history; default 300 (1 to 86400). */
  historyTtl?: number
  /** Seconds a disconnected extended-protocol session can be resumed; default 300, 0 = off. */
  sessionsTtl?: number
  /** Seconds a disconnected session's presence outlives it; default 15 (1 to 3600). */
  presenceTtl?: number
  /** Seconds an extended-protocol client may send nothing before `no_pong`; default 0 (off). */
  pongTimeout?: number
  /** Allow presence on signed streams (always on public ones, never on Turbo ones); default true. */
  streamsPresence?: boolean
  /** End a session with `token_expired` (`reconnect: false`) when its token's `exp` passes; default false. */
  disconnectOnTokenExpiry?: boolean
}

/** The part of a serverless-js `Application` the server uses. */
export interface ServerlessApplication {
  buildHandle(id: string, env: unknown): unknown
  handleOpen(handle: unknown): Promise<void>
  handleCommand(handle: unknown, command: string, identifier: string, data: string | null): Promise<void>
  handleClose(handle: unknown, subscriptions: string[] | null): Promise<void>
  encodeIdentifiers(identifiers: unknown): string
  decodeIdentifiers(identifiers: string): unknown
}

export interface ListenInfo {
  /** `ws://host:port/path`, for clients. */
  url: string
  host: string
  port: number
}

export interface CableServerStats {
  connections: number
  streams: number
  subscriptions: number
  /** With Redis (`broadcastAdapter` or `pubsub`): whether its connections are up. */
  redisConnected?: boolean
  /** With Redis: this node's broadcasts that did not reach the other nodes (queue full, Redis down or stalled). */
  redisDropped?: number
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
  stats(): CableServerStats
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
  createCableServer: typeof createCableServer
  CableServer: typeof CableServer
}
export default anycable
