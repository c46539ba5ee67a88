'use strict'

// createCableServer: option checks (TypeError for unknown names and wrong types), then the
// native server does everything else.
const { native, nativeCall } = require('./native.js')
const { isPlainObject } = require('./edge/arguments.mjs')
const { isApplication, createDispatch } = require('./channels/rpc.js')
const { SERVER_OPTIONS } = require('./options.js')

const isString = value => typeof value === 'string'
const isBoolean = value => typeof value === 'boolean'
/** Seconds options share their ranges with the core (`option_range.rs`). */
const isSecondsIn = (min, max) => value => typeof value === 'number' && value >= min && value <= max
const isIntegerIn = (min, max) => value => Number.isInteger(value) && value >= min && value <= max
const isStringList = value => Array.isArray(value) && value.every(isString)
// A string is a comma-separated list; either way at least one prefix, none of them empty (an
// empty prefix would make every name public again).
const prefixesOf = value => (isString(value) ? value.split(',').map(prefix => prefix.trim()) : value)
const isPrefixList = value =>
  (isString(value) || isStringList(value)) && prefixesOf(value).length > 0 && prefixesOf(value).every(Boolean)
const LOG_LEVELS = ['debug', 'info', 'warn', 'error']
const isLogger = value =>
  value !== null && (typeof value === 'object' || typeof value === 'function') && LOG_LEVELS.every(level => typeof value[level] === 'function')
const listOf = value => (isString(value) ? value.split(',').map(item => item.trim()).filter(Boolean) : value)

/** A declared type -> [check, what a value must be, the value the native layer gets]. */
const TYPES = {
  string: () => [isString, 'a string'],
  boolean: () => [isBoolean, 'a boolean'],
  integer: ({ min, max, unit, zero }) => [
    isIntegerIn(min, max),
    `an integer${unit ? ` number of ${unit}` : ''} from ${min}${zero ? ` (${zero})` : ''} to ${max}`,
  ],
  seconds: ({ min, max, zero }) => [isSecondsIn(min, max), `a number of seconds from ${min}${zero ? ` (${zero})` : ''} to ${max}`],
  enum: ({ values }) => [value => values.includes(value), values.map(value => JSON.stringify(value)).join(' or ')],
  list: () => [value => isStringList(value) || isString(value), 'an array of strings or a comma-separated string', listOf],
  prefixes: () => [isPrefixList, 'a non-empty stream name prefix, or an array or comma-separated string of them', prefixesOf],
  logger: () => [isLogger, 'an object with debug, info, warn and error methods (pino, console)'],
  application: () => [
    isApplication,
    'an Application (buildHandle, handleOpen, handleCommand, handleClose, encodeIdentifiers, decodeIdentifiers)',
  ],
}

/** Option name -> [check, what it must be, conversion], from the declaration in `options.js`. */
const OPTIONS = Object.fromEntries(
  SERVER_OPTIONS.map(option => {
    const [valid, expected, convert = value => value] = TYPES[option.type](option)
    return [option.name, [valid, option.expected ?? expected, convert]]
  }),
)

function nativeOptions(options) {
  if (!isPlainObject(options)) throw new TypeError('createCableServer options must be an object')
  const checked = {}
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue
    // Own names only: `__proto__` or `constructor` must be unknown options, not Object's members.
    const rule = Object.hasOwn(OPTIONS, name) ? OPTIONS[name] : undefined
    if (!rule) throw new TypeError(`unknown createCableServer option "${name}"`)
    const [valid, expected, convert] = rule
    if (!valid(value)) throw new TypeError(`option "${name}" must be ${expected}`)
    checked[name] = convert(value)
  }
  return checked
}

/**
 * The native server's log events -> `logger[level](fields, message)` (pino's order; console prints
 * both). `fields` comes as [name, value, name, value, …]. A logger that throws must not take the
 * server's events down with it: the event is dropped, and stderr says so once.
 */
function createEmit(logger) {
  let saidItThrew = false
  return (level, message, flatFields) => {
    const fields = {}
    for (let index = 0; index < flatFields.length; index += 2) fields[flatFields[index]] = flatFields[index + 1]
    try {
      logger[level](fields, message)
    } catch (error) {
      if (saidItThrew) return
      saidItThrew = true
      process.stderr.write(`anycable-rs: the logger's ${level} method threw (${error?.message ?? error}); its events are skipped when it throws\n`)
    }
  }
}

/** `broadcast` option name -> [check, what it must be]. */
const BROADCAST_OPTIONS = {
  transient: [isBoolean, 'a boolean'],
  excludeSocket: [isString, 'a string (a session id)'],
}

function broadcastOptions(options) {
  if (!isPlainObject(options)) throw new TypeError('broadcast options must be an object')
  const checked = {}
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue
    const rule = Object.hasOwn(BROADCAST_OPTIONS, name) ? BROADCAST_OPTIONS[name] : undefined
    if (!rule) throw new TypeError(`unknown broadcast option "${name}"`)
    const [valid, expected] = rule
    if (!valid(value)) throw new TypeError(`broadcast option "${name}" must be ${expected}`)
    checked[name] = value
  }
  return checked
}

/** An AnyCable-compatible WebSocket server running in this process. */
class CableServer {
  #native
  #keepAlive

  constructor(options) {
    const { application, logger, ...rest } = nativeOptions(options)
    const dispatch = application && createDispatch(application)
    const emit = logger && createEmit(logger)
    this.#native = nativeCall(() => new native.NativeCableServer(rest, dispatch, emit))
  }

  /** Starts listening; resolves `{ url, host, port }`. Rejects when the port is in use. */
  async listen() {
    const info = await this.#native.listen()
    // The server runs on native threads, which do not keep Node alive; a listening server should,
    // like net.Server. The timer also keeps this object (and so the native server) reachable.
    this.#keepAlive ??= setInterval(() => this.#native, 2 ** 31 - 1)
    return info
  }

  /**
   * Sends `data` (any JSON value) to every subscriber of `stream`; a no-op while not listening.
   * `transient: true` gives it no offset and keeps it out of history; `excludeSocket` skips the
   * session with that sid.
   */
  broadcast(stream, data, options = {}) {
    if (!isString(stream) || stream === '') throw new TypeError('stream must be a non-empty string')
    const nativeBroadcastOptions = broadcastOptions(options)
    let message
    try {
      message = JSON.stringify(data)
    } catch (error) {
      throw new TypeError(`broadcast data must be JSON-serializable: ${error.message}`)
    }
    if (message === undefined) throw new TypeError('broadcast data must be a JSON value, got undefined')
    nativeCall(() => this.#native.broadcast(stream, message, nativeBroadcastOptions))
  }

  /**
   * Who is present on `stream`: `{ total, records: [{ id, info }] }` (one record per presence id,
   * `info` as the client joined with it, parsed). Rejects while not listening or with
   * `broker: 'none'`.
   */
  async presence(stream) {
    if (!isString(stream) || stream === '') throw new TypeError('stream must be a non-empty string')
    const { total, records } = await this.#native.presence(stream)
    return { total, records: records.map(({ id, info }) => (info === undefined || info === null ? { id } : { id, info: JSON.parse(info) })) }
  }

  /** `{ connections, streams, subscriptions }`. */
  stats() {
    return this.#native.stats()
  }

  /**
   * The figures the Prometheus endpoint serves, as a plain object keyed by metric name without the
   * `anycable_go_` prefix (histograms as `{ buckets: [{ le, count }], sum, count }`); `null` while
   * not listening. Available whether or not `metricsPath` serves them.
   */
  metrics() {
    const json = this.#native.metrics()
    return json == null ? null : JSON.parse(json)
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
