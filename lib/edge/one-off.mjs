// The one-off token helpers, sync as in the native build (HMAC in JS): `generateToken(identifiers,
// { secret, ttl?, expiresAt?, algorithm? })` and `verifyToken(token, { secret })`. Each call
// builds its core: a few µs beside the ~30 µs of the HMAC, so no cache of secrets is kept.

import { DEFAULT_TTL, encodeIdentifiers, expiresAtSeconds, requireToken, tokenOptions } from './arguments.mjs'
import { createCore } from './identificator.mjs'
import { acceptedOrThrow, identifiersOrThrow } from './verdicts.mjs'

/** A token for `identifiers`, signed with `options.secret`; expires after `ttl` (default 1h) or at `expiresAt`. */
export function generateToken(identifiers, options) {
  const { secret, ttl, expiresAt, algorithm } = tokenOptions(options)
  const core = createCore(secret, ttl, algorithm)
  const ext = encodeIdentifiers(identifiers)
  return core.generateSync(ext, expiresAtSeconds(expiresAt))
}

/** The identifiers of a valid token by AnyCable's rules; throws `TokenError` otherwise. */
export function verifyToken(token, options) {
  const { secret } = tokenOptions(options)
  requireToken(token)
  return identifiersOrThrow(acceptedOrThrow(createCore(secret, DEFAULT_TTL, undefined).verifySync(token)))
}
