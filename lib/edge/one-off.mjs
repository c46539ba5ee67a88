// The one-off token helpers, sync as in the native build (HMAC in JS): `generateToken(identifiers,
// { secret, ttl?, expiresAt?, algorithm? })` and `verifyToken(token, { secret })`.

import { DEFAULT_TTL, encodeIdentifiers, expiresAtSeconds, requireToken, tokenOptions } from './arguments.mjs'
import { acceptedOrThrow, createCore, identifiersOrThrow } from './identificator.mjs'

/**
 * Cores the helpers reuse, by (algorithm, ttl, secret): the first few configurations stay (never
 * more, so never more secrets), which keeps their encoded secrets; others are built per call.
 */
const CACHED_CONFIGURATIONS = 4
const cores = new Map()

function cachedCore(secret, ttl, algorithm) {
  // Unambiguous: the algorithm and ttl type are from fixed sets, the ttl text is length-prefixed.
  const ttlText = String(ttl)
  const key = `${algorithm ?? 'HS256'} ${typeof ttl} ${ttlText.length} ${ttlText} ${secret}`
  let core = cores.get(key)
  if (core === undefined) {
    core = createCore(secret, ttl, algorithm)
    if (cores.size < CACHED_CONFIGURATIONS) cores.set(key, core)
  }
  return core
}

/** A token for `identifiers`, signed with `options.secret`; expires after `ttl` (default 1h) or at `expiresAt`. */
export function generateToken(identifiers, options) {
  const { secret, ttl, expiresAt, algorithm } = tokenOptions(options)
  const core = cachedCore(secret, ttl, algorithm)
  const ext = encodeIdentifiers(identifiers)
  return core.generateSync(ext, expiresAtSeconds(expiresAt))
}

/** The identifiers of a valid token by AnyCable's rules; throws `TokenError` otherwise. */
export function verifyToken(token, options) {
  const { secret } = tokenOptions(options)
  requireToken(token)
  const core = cachedCore(secret, DEFAULT_TTL, undefined)
  return identifiersOrThrow(acceptedOrThrow(core.verifySync(token)))
}
