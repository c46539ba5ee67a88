'use strict'

// Tokens and signed streams: argument checks that must throw TypeError, the Promise API, and
// TokenError. Token and signing work happens in the native core.
const { native, nativeCall, argumentError, isPlainObject } = require('./native.js')

const TOKEN_ERROR_REASONS = new Set(['token_expired', 'unauthorized'])
/** The codes jose 4 gives the tokens it refuses (see index.d.ts). */
const TOKEN_ERROR_CODES = new Set([
  'ERR_JWT_EXPIRED',
  'ERR_JWT_CLAIM_VALIDATION_FAILED',
  'ERR_JWT_INVALID',
  'ERR_JWS_INVALID',
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JOSE_NOT_SUPPORTED',
])

/**
 * Why a token was refused: `reason` is `'token_expired'` or `'unauthorized'`, as sent on the
 * wire; `code` is the code jose (and so `@anycable/serverless-js`) gives the same token, such as
 * `'ERR_JWT_EXPIRED'`.
 */
class TokenError extends Error {
  constructor(reason, message, code) {
    super(message)
    if (!TOKEN_ERROR_REASONS.has(reason)) throw new TypeError(`unknown TokenError reason ${reason}`)
    if (!TOKEN_ERROR_CODES.has(code)) throw new TypeError(`TokenError code must be a jose error code such as ERR_JWT_EXPIRED, got ${code}`)
    this.name = 'TokenError'
    this.reason = reason
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
  let json
  try {
    json = JSON.stringify(identifiers)
  } catch (error) {
    throw new TypeError(`identifiers must be JSON-serializable: ${error.message}`)
  }
  // A toJSON method can turn the object into anything, undefined included.
  if (typeof json !== 'string' || json.charCodeAt(0) !== 0x7b) {
    throw new TypeError(`identifiers must serialize to a JSON object, got ${json}`)
  }
  return json
}

const EXT_NOT_JSON = 'token ext claim is not JSON'
// serverless-js lets JSON.parse's SyntaxError through (no code); an unusable claim is jose's
// claim failure.
const EXT_NOT_JSON_CODE = 'ERR_JWT_CLAIM_VALIDATION_FAILED'

/** The identifiers in a valid token's ext text, or `undefined` when that text is not JSON. */
function parseIdentifiers(ext) {
  try {
    return JSON.parse(ext)
  } catch {
    return undefined
  }
}

/** Native argument errors as TypeError, without a closure per call on the generate path. */
function generateWith(core, ext, expiresAt) {
  try {
    return core.generate(ext, expiresAt)
  } catch (error) {
    throw argumentError(error)
  }
}

const ALGORITHMS = new Set(['HS256', 'HS384', 'HS512'])

function checkIdentificatorArguments(secret, ttl, algorithm) {
  requireSecret(secret)
  if (typeof ttl !== 'number' && typeof ttl !== 'string') {
    throw new TypeError('ttl must be a number of seconds or a span such as "1h"')
  }
  if (algorithm !== undefined && !ALGORITHMS.has(algorithm)) {
    throw new TypeError(`algorithm must be "HS256", "HS384" or "HS512", got ${typeof algorithm === 'string' ? JSON.stringify(algorithm) : typeof algorithm}`)
  }
}

function createNative(secret, ttl, algorithm) {
  checkIdentificatorArguments(secret, ttl, algorithm)
  return nativeCall(() => native.createIdentificator(secret, ttl, algorithm))
}

/** `result` (a native verify's answer: ext text, `null` or a refusal); throws TokenError for a refusal. */
function acceptedOrThrow(result) {
  if (result !== null && typeof result === 'object') throw new TokenError(result.reason, result.message, result.code)
  return result
}

/** The identifiers in the ext text of a valid token; TokenError when it is not JSON. */
function identifiersOrThrow(ext) {
  const identifiers = parseIdentifiers(ext)
  if (identifiers === undefined) throw new TokenError('unauthorized', EXT_NOT_JSON, EXT_NOT_JSON_CODE)
  return identifiers
}

/** The identifiers of a valid token by AnyCable's rules (the server's); throws TokenError otherwise. */
function verifyWith(core, token) {
  requireToken(token)
  return identifiersOrThrow(acceptedOrThrow(core.verify(token)))
}

/**
 * Issues and verifies AnyCable identification tokens; a drop-in for `@anycable/serverless-js`'s
 * `identificator(secret, ttl)`, plus sync variants. `ttl` is seconds or a span such as `"1h"`.
 * `verify` and `verifyAndFetch` apply serverless-js's rules (jose's); `verifyToken` and
 * `verifyTokenSync` the server's.
 */
function identificator(secret, ttl) {
  const core = createNative(secret, ttl)
  const generateTokenSync = identifiers => generateWith(core, encodeIdentifiers(identifiers))
  const verifyTokenSync = token => verifyWith(core, token)
  const verifyToken = async token => {
    requireToken(token)
    const result = core.verify(token)
    // A valid token whose ext is not JSON is as unusable as a bad one: null, never a SyntaxError.
    return typeof result === 'string' ? (parseIdentifiers(result) ?? null) : null
  }
  return {
    ttl: core.ttl,
    generateTokenSync,
    verifyTokenSync,
    generateToken: async identifiers => generateTokenSync(identifiers),
    verifyToken,
    verifyAndFetch: async token => {
      requireToken(token)
      const ext = acceptedOrThrow(core.verifyHs256(token))
      return ext === null ? null : identifiersOrThrow(ext)
    },
    verify: async token => {
      requireToken(token)
      acceptedOrThrow(core.verifyMaxAge(token))
      return true
    },
  }
}

const DEFAULT_TTL = 3600

function expiresAtSeconds(expiresAt) {
  if (expiresAt === undefined) return undefined
  if (expiresAt instanceof Date) {
    const time = expiresAt.getTime()
    if (Number.isNaN(time)) throw new TypeError('expiresAt must be a valid Date, got an Invalid Date')
    return time / 1000
  }
  // The range (0 to now + the longest ttl, ~31 years; finite) is checked natively.
  if (typeof expiresAt === 'number') return expiresAt
  throw new TypeError('expiresAt must be seconds since the epoch or a Date')
}

/** The options of the one-off helpers; a null prototype, so `__proto__` is just an unknown name. */
const TOKEN_OPTIONS = Object.assign(Object.create(null), { secret: true, ttl: true, expiresAt: true, algorithm: true })

/** The options' own values; inherited properties are never read as options. */
function tokenOptions(options) {
  if (!isPlainObject(options)) throw new TypeError('options must be an object with a secret')
  for (const name of Object.keys(options)) {
    if (!TOKEN_OPTIONS[name]) {
      throw new TypeError(`unknown token option "${name}" (expected secret, ttl, expiresAt, algorithm)`)
    }
  }
  const own = name => (Object.hasOwn(options, name) ? options[name] : undefined)
  const ttl = own('ttl')
  return { secret: own('secret'), ttl: ttl === undefined ? DEFAULT_TTL : ttl, expiresAt: own('expiresAt'), algorithm: own('algorithm') }
}

/**
 * Native identificators the one-off helpers reuse, by (algorithm, ttl, secret). The first few
 * configurations a process uses stay (never more, so never more secrets); any other goes
 * through a native call that builds its keys for that call alone. A native object per call
 * cost ~10 µs and left memory that Node frees only after the event loop turns.
 */
const CACHED_CONFIGURATIONS = 4
const identificatorCache = new Map()

/** The cached identificator for these options, or `undefined` when the cache is full. */
function cachedIdentificator(secret, ttl, algorithm) {
  checkIdentificatorArguments(secret, ttl, algorithm)
  // Unambiguous: the algorithm and ttl type are from fixed sets, the ttl text is length-prefixed.
  const ttlText = String(ttl)
  const key = `${algorithm ?? 'HS256'} ${typeof ttl} ${ttlText.length} ${ttlText} ${secret}`
  let core = identificatorCache.get(key)
  if (core === undefined && identificatorCache.size < CACHED_CONFIGURATIONS) {
    core = createNative(secret, ttl, algorithm)
    identificatorCache.set(key, core)
  }
  return core
}

/** A token for `identifiers`, signed with `options.secret`; expires after `ttl` (default 1h) or at `expiresAt`. */
function generateToken(identifiers, options) {
  const { secret, ttl, expiresAt, algorithm } = tokenOptions(options)
  const core = cachedIdentificator(secret, ttl, algorithm)
  const ext = encodeIdentifiers(identifiers)
  const exp = expiresAtSeconds(expiresAt)
  if (core !== undefined) return generateWith(core, ext, exp)
  return nativeCall(() => native.generateTokenOnce(secret, ttl, algorithm, ext, exp))
}

/** The identifiers of a valid token by AnyCable's rules; throws `TokenError` otherwise. */
function verifyToken(token, options) {
  const { secret } = tokenOptions(options)
  requireToken(token)
  const core = cachedIdentificator(secret, DEFAULT_TTL, undefined)
  const result = core === undefined ? native.verifyTokenOnce(secret, token) : core.verify(token)
  return identifiersOrThrow(acceptedOrThrow(result))
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

/** The key an AnyCable server sends to an RPC endpoint as `Authorization: Bearer <key>`. */
function rpcKey(secret) {
  requireSecret(secret)
  return native.rpcKey(secret)
}

module.exports = {
  TokenError,
  identificator,
  generateToken,
  verifyToken,
  signStream,
  verifyStream,
  broadcastKey,
  rpcKey,
}
