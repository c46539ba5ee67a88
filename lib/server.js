'use strict'

// createCableServer: option checks (TypeError for unknown names and wrong types), then the
// native server does everything else.
const { native, nativeCall, isPlainObject } = require('./native.js')
const { isApplication, createDispatch } = require('./application.js')

const isString = value => typeof value === 'string'
const isBoolean = value => typeof value === 'boolean'
const isPort = value => Number.isInteger(value) && value >= 0 && value <= 65535
/** Seconds options share their ranges with the core (`option_range.rs`): from 10 ms to `max`. */
const isSeconds = max => value => typeof value === 'number' && value >= 0.01 && value <= max
const isPositiveInteger = value => Number.isInteger(value) && value > 0 && value <= 2 ** 32 - 1
const isStringList = value => Array.isArray(value) && value.every(isString)
const isCount = value => Number.isInteger(value) && value >= 0 && value <= 2 ** 32 - 1
// A string is a comma-separated list; either way at least one prefix, none of them empty (an
// empty prefix would make every name public again).
const prefixesOf = value => (isString(value) ? value.split(',').map(prefix => prefix.trim()) : value)
const isPrefixList = value =>
  (isString(value) || isStringList(value)) && prefixesOf(value).length > 0 && prefixesOf(value).every(Boolean)

/** Option name -> [check, what it must be]. Names and meanings are the AnyCable server's flags. */
const OPTIONS = {
  host: [isString, 'a string'],
  port: [isPort, 'an integer from 0 (any free port) to 65535'],
  path: [isString, 'a string'],
  secret: [isString, 'a string'],
  jwtSecret: [isString, 'a string'],
  jwtParam: [isString, 'a string'],
  enforceJwt: [isBoolean, 'a boolean'],
  noauth: [isBoolean, 'a boolean'],
  streamsSecret: [isString, 'a string'],
  publicStreams: [isBoolean, 'a boolean'],
  publicStreamsPrefix: [isPrefixList, 'a non-empty stream name prefix, or an array or comma-separated string of them'],
  public: [isBoolean, 'a boolean'],
  turboStreams: [isBoolean, 'a boolean'],
  streamsWhisper: [isBoolean, 'a boolean'],
  broadcastKey: [isString, 'a string'],
  broadcastPath: [isString, 'a string'],
  allowedOrigins: [value => isStringList(value) || isString(value), 'an array of strings or a comma-separated string'],
  pingInterval: [isSeconds(3600), 'a number of seconds from 0.01 to 3600'],
  maxMessageSize: [isPositiveInteger, 'an integer number of bytes from 1 to 4294967295'],
  maxSubscriptions: [isPositiveInteger, 'an integer from 1 to 4294967295'],
  maxOutgoingBytes: [isPositiveInteger, 'an integer number of bytes from 1 to 4294967295'],
  commandRate: [isPositiveInteger, 'an integer number of commands per second from 1 to 4294967295'],
  healthPath: [isString, 'a string'],
  application: [isApplication, 'a serverless-js Application (buildHandle, handleOpen, handleCommand, handleClose, encodeIdentifiers, decodeIdentifiers)'],
  rpcHost: [isString, 'an http:// URL'],
  rpcTimeout: [isSeconds(3600), 'a number of seconds from 0.01 to 3600'],
  rpcConcurrency: [isPositiveInteger, 'an integer from 1 to 4294967295'],
  redisUrl: [isString, 'a redis:// URL'],
  broadcastAdapter: [value => value === 'http' || value === 'redis', '"http" or "redis"'],
  redisChannel: [isString, 'a string'],
  pubsub: [value => value === 'none' || value === 'redis', '"none" or "redis"'],
  handshakeTimeout: [isSeconds(86_400), 'a number of seconds from 0.01 to 86400'],
  maxPendingConnections: [isPositiveInteger, 'an integer from 1 to 4294967295'],
  maxConnections: [isCount, 'an integer from 0 (unlimited) to 4294967295'],
  headers: [value => isStringList(value) || isString(value), 'an array of header names or a comma-separated string'],
}

function nativeOptions(options) {
  if (!isPlainObject(options)) throw new TypeError('createCableServer options must be an object')
  const checked = {}
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue
    // Own names only: `__proto__` or `constructor` must be unknown options, not Object's members.
    const rule = Object.hasOwn(OPTIONS, name) ? OPTIONS[name] : undefined
    if (!rule) throw new TypeError(`unknown createCableServer option "${name}"`)
    const [valid, expected] = rule
    if (!valid(value)) throw new TypeError(`option "${name}" must be ${expected}`)
    checked[name] = value
  }
  if (isString(checked.allowedOrigins)) {
    checked.allowedOrigins = checked.allowedOrigins.split(',').map(origin => origin.trim()).filter(Boolean)
  }
  if (isString(checked.headers)) checked.headers = checked.headers.split(',').map(name => name.trim()).filter(Boolean)
  if (checked.publicStreamsPrefix !== undefined) checked.publicStreamsPrefix = prefixesOf(checked.publicStreamsPrefix)
  return checked
}

/** An AnyCable-compatible WebSocket server running in this process. */
class CableServer {
  #native
  #keepAlive

  constructor(options) {
    const { application, ...rest } = nativeOptions(options)
    const dispatch = application && createDispatch(application)
    this.#native = nativeCall(() => new native.NativeCableServer(rest, dispatch))
  }

  /** Starts listening; resolves `{ url, host, port }`. Rejects when the port is in use. */
  async listen() {
    const info = await this.#native.listen()
    // The server runs on native threads, which do not keep Node alive; a listening server should,
    // like net.Server. The timer also keeps this object (and so the native server) reachable.
    this.#keepAlive ??= setInterval(() => this.#native, 2 ** 31 - 1)
    return info
  }

  /** Sends `data` (any JSON value) to every subscriber of `stream`; a no-op while not listening. */
  broadcast(stream, data) {
    if (!isString(stream) || stream === '') throw new TypeError('stream must be a non-empty string')
    let message
    try {
      message = JSON.stringify(data)
    } catch (error) {
      throw new TypeError(`broadcast data must be JSON-serializable: ${error.message}`)
    }
    if (message === undefined) throw new TypeError('broadcast data must be a JSON value, got undefined')
    nativeCall(() => this.#native.broadcast(stream, message))
  }

  /** `{ connections, streams, subscriptions }`. */
  stats() {
    return this.#native.stats()
  }

  /** Which features the options turn on (for logs; never includes secrets). */
  features() {
    return this.#native.features()
  }

  /** Graceful shutdown: every client gets `server_restart` and reconnects elsewhere. */
  async close() {
    try {
      await this.#native.close()
    } finally {
      clearInterval(this.#keepAlive)
      this.#keepAlive = undefined
    }
  }
}

/** Creates (but does not start) a cable server; throws TypeError for invalid options. */
function createCableServer(options = {}) {
  return new CableServer(options)
}

module.exports = { createCableServer, CableServer }
