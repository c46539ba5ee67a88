// The argument checks of the token API, for both builds: lib/tokens.js requires this module, so
// the native and Edge builds throw the same TypeErrors.

import { ALGORITHMS } from './header.mjs'

export function isPlainObject(value) {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

export function requireSecret(secret) {
  if (typeof secret !== 'string' || secret === '') {
    throw new TypeError('secret must be a non-empty string')
  }
}

export function requireToken(token) {
  if (typeof token !== 'string') {
    throw new TypeError(`token must be a string, got ${token === null ? 'null' : typeof token}`)
  }
}

/** The arguments an identificator is made of; the ttl's value is read where it is used. */
export function requireIdentificatorArguments(secret, ttl, algorithm) {
  requireSecret(secret)
  if (typeof ttl !== 'number' && typeof ttl !== 'string') {
    throw new TypeError('ttl must be a number of seconds or a span such as "1h"')
  }
  if (algorithm !== undefined && !ALGORITHMS.includes(algorithm)) {
    throw new TypeError(`algorithm must be "HS256", "HS384" or "HS512", got ${typeof algorithm === 'string' ? JSON.stringify(algorithm) : typeof algorithm}`)
  }
}

/** The identifiers as the JSON text carried in the `ext` claim. */
export function encodeIdentifiers(identifiers) {
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

/** The options of the one-off helpers; a null prototype, so `__proto__` is just an unknown name. */
const TOKEN_OPTIONS = Object.assign(Object.create(null), { secret: true, ttl: true, expiresAt: true, algorithm: true })

export const DEFAULT_TTL = 3600

/** The options' own values; inherited properties are never read as options. */
export function tokenOptions(options) {
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

/** `expiresAt` (seconds since the epoch or a Date) in seconds; its range is checked when issuing. */
export function expiresAtSeconds(expiresAt) {
  if (expiresAt === undefined) return undefined
  if (expiresAt instanceof Date) {
    const time = expiresAt.getTime()
    if (Number.isNaN(time)) throw new TypeError('expiresAt must be a valid Date, got an Invalid Date')
    return time / 1000
  }
  if (typeof expiresAt === 'number') return expiresAt
  throw new TypeError('expiresAt must be seconds since the epoch or a Date')
}
