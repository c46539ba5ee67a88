'use strict'

// Tokens and signed streams through the native core. TokenError, the argument checks and the
// reading of a verifier's answer are the Edge build's modules (lib/edge/), required as ES modules
// (Node ^20.19 or >= 22.12), so both builds throw the same errors and one TokenError class.
const { native, nativeCall, argumentError } = require('./native.js')
const { TokenError } = require('./edge/token-error.mjs')
const {
  DEFAULT_TTL,
  encodeIdentifiers,
  expiresAtSeconds,
  requireIdentificatorArguments,
  requireSecret,
  requireToken,
  tokenOptions,
} = require('./edge/arguments.mjs')
const { acceptedOrThrow, identifiersOrThrow, parseIdentifiers } = require('./edge/verdicts.mjs')

/** Native argument errors as TypeError, without a closure per call on the generate path. */
function generateWith(core, ext, expiresAt) {
  try {
    return core.generate(ext, expiresAt)
  } catch (error) {
    throw argumentError(error)
  }
}

function createNative(secret, ttl, algorithm) {
  requireIdentificatorArguments(secret, ttl, algorithm)
  return nativeCall(() => native.createIdentificator(secret, ttl, algorithm))
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
  requireIdentificatorArguments(secret, ttl, algorithm)
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
