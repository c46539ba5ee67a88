'use strict'

// Every createCableServer option, declared once. `lib/server.js` validates against it,
// `bin/anycable-rs.js` parses flags and ANYCABLE_* variables from it, and
// `__test__/option-declaration.test.mjs` fails when index.d.ts, the napi `ServerOptions`
// (binding.d.ts), the Rust defaults and ranges or the README disagree with it.
//
// Fields: `name` (JS), `flag` (CLI, AnyCable's; null = JS only; the environment variable is
// ANYCABLE_ + the flag upper-cased, plus `env`), `type` (see `TYPES` in lib/server.js), `min` /
// `max` for numbers, `values` for enums, `expected` when the generic wording would say less,
// `default` (what the Rust `Config::default()` holds; undefined = none or derived), `doc`.

const U32_MAX = 2 ** 32 - 1

/** @type {ReadonlyArray<Readonly<Record<string, any>>>} */
const SERVER_OPTIONS = [
  { name: 'host', flag: 'host', type: 'string', default: '127.0.0.1', doc: 'address to listen on' },
  { name: 'port', flag: 'port', type: 'integer', min: 0, max: 65535, zero: 'any free port', env: ['PORT'], default: 8080, doc: 'port to listen on' },
  { name: 'path', flag: 'path', type: 'string', default: '/cable', doc: 'the WebSocket endpoint' },
  { name: 'secret', flag: 'secret', type: 'string', doc: 'the common secret every other secret falls back to' },
  { name: 'jwtSecret', flag: 'jwt_secret', type: 'string', doc: 'verifies tokens (default: secret)' },
  { name: 'jwtParam', flag: 'jwt_param', type: 'string', env: ['ANYCABLE_ID_PARAM'], default: 'jid', doc: 'token query parameter and X-<param> header' },
  { name: 'enforceJwt', flag: 'enforce_jwt', type: 'boolean', default: false, doc: 'refuse connections without a valid token' },
  { name: 'noauth', flag: 'noauth', type: 'boolean', default: false, doc: 'accept tokenless connections as anonymous' },
  { name: 'streamsSecret', flag: 'streams_secret', type: 'string', doc: 'verifies signed stream names (default: secret)' },
  { name: 'publicStreams', flag: 'public_streams', type: 'boolean', default: false, doc: 'allow unsigned $pubsub stream names' },
  {
    name: 'publicStreamsPrefix',
    flag: 'public_streams_prefix',
    type: 'prefixes',
    default: [],
    doc: 'with publicStreams, only names starting with one of these are public',
  },
  { name: 'public', flag: 'public', type: 'boolean', default: false, doc: 'noauth + publicStreams + HTTP broadcasts without a key' },
  { name: 'turboStreams', flag: 'turbo_streams', type: 'boolean', default: false, doc: 'serve Turbo::StreamsChannel' },
  { name: 'streamsWhisper', flag: 'streams_whisper', type: 'boolean', default: false, doc: 'allow whispers on signed streams' },
  { name: 'broadcastKey', flag: 'broadcast_key', type: 'string', doc: 'bearer key for HTTP broadcasts (default: derived from secret)' },
  { name: 'broadcastPath', flag: 'broadcast_path', type: 'string', default: '/_broadcast', doc: 'HTTP broadcast endpoint' },
  {
    name: 'allowedOrigins',
    flag: 'allowed_origins',
    type: 'list',
    expected: 'an array of strings or a comma-separated string',
    default: [],
    doc: 'browser origins allowed to connect (default: any)',
  },
  { name: 'pingInterval', flag: 'ping_interval', type: 'seconds', min: 0.01, max: 3600, default: 3, doc: 'seconds between pings' },
  { name: 'maxMessageSize', flag: 'max_message_size', type: 'integer', min: 1, max: U32_MAX, unit: 'bytes', default: 65_536, doc: 'largest client frame' },
  { name: 'maxSubscriptions', flag: 'max_subscriptions', type: 'integer', min: 1, max: U32_MAX, default: 1000, doc: 'subscriptions one connection may hold' },
  {
    name: 'maxOutgoingBytes',
    flag: 'max_outgoing_bytes',
    type: 'integer',
    min: 1,
    max: U32_MAX,
    unit: 'bytes',
    default: 1_048_576,
    doc: 'bytes waiting for one client before it is too_slow',
  },
  {
    name: 'commandRate',
    flag: 'command_rate',
    type: 'integer',
    min: 1,
    max: U32_MAX,
    unit: 'commands per second',
    default: 100,
    doc: 'commands per second one connection may send',
  },
  { name: 'healthPath', flag: 'health_path', type: 'string', default: '/health', doc: 'answers 200' },
  { name: 'application', flag: null, type: 'application', doc: 'a serverless-js Application answering channels in this process' },
  { name: 'rpcHost', flag: 'rpc_host', type: 'string', expected: 'an http:// URL', doc: 'AnyCable RPC-over-HTTP endpoint' },
  { name: 'rpcTimeout', flag: 'rpc_timeout', type: 'seconds', min: 0.01, max: 3600, default: 5, doc: 'seconds an application call may take' },
  { name: 'rpcConcurrency', flag: 'rpc_concurrency', type: 'integer', min: 1, max: U32_MAX, default: 64, doc: 'application calls in flight at once' },
  { name: 'redisUrl', flag: 'redis_url', type: 'string', expected: 'a redis:// URL', env: ['REDIS_URL'], doc: 'Redis for broadcasts and pub/sub' },
  { name: 'broadcastAdapter', flag: 'broadcast_adapter', type: 'enum', values: ['http', 'redis'], default: 'http', doc: 'redis: also PUBLISH <redisChannel>' },
  { name: 'redisChannel', flag: 'redis_channel', type: 'string', default: '__anycable__', doc: 'the broadcast adapter\'s Redis channel' },
  { name: 'pubsub', flag: 'pubsub', type: 'enum', values: ['none', 'redis'], default: 'none', doc: 'redis: broadcasts reach every node' },
  {
    name: 'handshakeTimeout',
    flag: 'handshake_timeout',
    type: 'seconds',
    min: 0.01,
    max: 86_400,
    default: 10,
    doc: 'seconds a connection may take to finish its request or upgrade',
  },
  {
    name: 'maxPendingConnections',
    flag: 'max_pending_connections',
    type: 'integer',
    min: 1,
    max: U32_MAX,
    default: 1024,
    doc: 'connections still in their request or upgrade at once',
  },
  {
    name: 'maxConnections',
    flag: 'max_connections',
    type: 'integer',
    min: 0,
    max: U32_MAX,
    zero: 'unlimited',
    default: 0,
    doc: 'WebSocket sessions at once',
  },
  {
    name: 'headers',
    flag: 'headers',
    type: 'list',
    expected: 'an array of header names or a comma-separated string',
    default: ['cookie'],
    doc: 'request headers passed to the application',
  },
]

module.exports = { SERVER_OPTIONS }
