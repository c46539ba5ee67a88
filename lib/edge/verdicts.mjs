// A verifier's answer (ext text, `null`, or a refusal) as callers get it, for both builds: the
// native verifiers answer as the Edge ones do, and lib/tokens.js requires this module.

import { Refusal, tokenError } from './token-error.mjs'

/** A refusal (an object, as opposed to ext text or null) as the TokenError it is. */
export function acceptedOrThrow(result) {
  if (result !== null && typeof result === 'object') throw tokenError(result)
  return result
}

/** The identifiers in a valid token's ext text, or `undefined` when that text is not JSON. */
export function parseIdentifiers(ext) {
  try {
    return JSON.parse(ext)
  } catch {
    return undefined
  }
}

/** The identifiers in the ext text of a valid token; TokenError when it is not JSON. */
export function identifiersOrThrow(ext) {
  const identifiers = parseIdentifiers(ext)
  if (identifiers === undefined) throw tokenError(Refusal.extNotJson)
  return identifiers
}
