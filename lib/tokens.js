'use strict'

// Tokens and signed streams: argument checks that must throw TypeError, the Promise API, and
// TokenError. Token and signing work happens in the native core.
const { native, nativeCall, isPlainObject } = require('./native.js')

const TOKEN_ERROR_CODES = new Set(['token_expired', 'unauthorized'])

/** Why a token was refused: `code` is `'token_expired'` or `'unauthorized'`, as sent on the wire. */
class TokenError extends Error {
  constructor(code, message) {
    super(message)
    if (!TOKEN_ERROR_CODES.has(code)) throw new TypeError(`unknown TokenError code ${code}`)
    this.name = 'TokenError'
    this.code = code
  }
}

function requireSecret(secret) {
  if (typeof secret !== 'string' || secret === '') {
    throw new TypeError('secret must be a non-empty string')
  }
}

function requireToken(token) {
  if (typeof token !== 'string') {
    throw new TypeError(`token must be a string, got ${token === null ? 'null' : typeof token}`)
  }
}

/** The identifiers as the JSON text carried in the `ext` claim. */
function encodeIdentifiers(identifiers) {
  if (!isPlainObject(identifiers)) {
    throw new TypeError('identifiers must be a plain object, such as { user_id: 42 }')
  }
  try {
    return JSON.stringify(identifiers)
  } catch (error) {
    throw new TypeError(`identifiers must be JSON-serializable: ${error.message}`)
  }
}

function createNative(secret, ttl, algorithm) {
  requireSecret(secret)
  if (typeof ttl !== 'number' && typeof ttl !== 'string') {
    throw new TypeError('ttl must be a number of seconds or a span such as "1h"')
  }
  if (algorithm !== undefined && typeof algorithm !== 'string') {
    throw new TypeError('algorithm must be "HS256", "HS384" or "HS512"')
  }
  return nativeCall(() => native.createIdentificator(secret, ttl, algorithm))
}

function verifyWith(core, token) {
  requireToken(token)
  const result = core.verify(token)
  if (typeof result === 'string') return JSON.parse(result)
  throw new TokenError(result.code, result.message)
}

/**
 * Issues and verifies AnyCable identification tokens; a drop-in for `@anycable/serverless-js`'s
 * `identificator(secret, ttl)`, plus sync variants. `ttl` is seconds or a span such as `"1h"`.
 */
function identificator(secret, ttl) {
  const core = createNative(secret, ttl)
  const generateTokenSync = identifiers => core.generate(encodeIdentifiers(identifiers))
  const verifyTokenSync = token => verifyWith(core, token)
  const verifyToken = async token => {
    requireToken(token)
    const result = core.verify(token)
    return typeof result === 'string' ? JSON.parse(result) : null
  }
  return {
    ttl: core.ttl,
    generateTokenSync,
    verifyTokenSync,
    generateToken: async identifiers => generateTokenSync(identifiers),
    verifyToken,
    verifyAndFetch: verifyToken,
    verify: async token => {
      verifyTokenSync(token)
      return true
    },
  }
}

const DEFAULT_TTL = 3600

function expiresAtSeconds(expiresAt) {
  if (expiresAt === undefined) return undefined
  if (expiresAt instanceof Date) return Math.floor(expiresAt.getTime() / 1000)
  if (typeof expiresAt === 'number') return expiresAt
  throw new TypeError('expiresAt must be seconds since the epoch or a Date')
}

function requireOptions(options) {
  if (!isPlainObject(options)) throw new TypeError('options must be an object with a secret')
}

/** A token for `identifiers`, signed with `options.secret`; expires after `ttl` (default 1h) or at `expiresAt`. */
function generateToken(identifiers, options) {
  requireOptions(options)
  const { secret, ttl = DEFAULT_TTL, expiresAt, algorithm } = options
  const core = createNative(secret, ttl, algorithm)
  const ext = encodeIdentifiers(identifiers)
  return nativeCall(() => core.generate(ext, expiresAtSeconds(expiresAt)))
}

/** The identifiers of a valid token; throws `TokenError` otherwise. */
function verifyToken(token, options) {
  requireOptions(options)
  requireToken(token)
  return verifyWith(createNative(options.secret, DEFAULT_TTL), token)
}

/** Signs a stream name so clients can subscribe to it through the `$pubsub` channel. */
function signStream(name, secret) {
  if (typeof name !== 'string') throw new TypeError('stream name must be a string')
  requireSecret(secret)
  return native.signStream(name, secret)
}

/** The stream name inside `signed`, or `null` when the signature does not match. */
function verifyStream(signed, secret) {
  if (typeof signed !== 'string') throw new TypeError('signed stream name must be a string')
  requireSecret(secret)
  return native.verifyStream(signed, secret)
}

/** The HTTP broadcast key AnyCable derives from the common secret. */
function broadcastKey(secret) {
  requireSecret(secret)
  return native.broadcastKey(secret)
}

module.exports = {
  TokenError,
  identificator,
  generateToken,
  verifyToken,
  signStream,
  verifyStream,
  broadcastKey,
}
