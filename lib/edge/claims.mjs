// A token's claims read as the native core reads them (crates/anycable-core/src/token/claims.rs):
// one JSON object whose ext, exp, nbf and iat appear once each; every key and each of those
// claims' string values decoded without an unpaired surrogate escape; their numbers within f64.
// A claim of another JSON type is kept as such, to be refused by name later.

import { decodeBase64url } from './base64.mjs'
import { objectMembers } from './json-members.mjs'
import { isWellFormed, utf8Text } from './text.mjs'
import { Refusal, badTimeClaim, refuse } from './token-error.mjs'

/** A claim present with a JSON type other than the one expected. */
const OTHER_TYPE = Symbol('other type')

const READ_CLAIMS = new Set(['ext', 'exp', 'nbf', 'iat'])

/** A string or number literal's value, refusing what the native reader cannot decode. */
function literalValue(raw) {
  if (raw === null || !/^["0-9-]/.test(raw)) return OTHER_TYPE
  const value = JSON.parse(raw)
  if (typeof value === 'string' ? !isWellFormed(value) : !Number.isFinite(value)) refuse(Refusal.malformedClaims)
  return value
}

/** The claims of an encoded payload: `{ ext, exp, nbf, iat }`, each a value, OTHER_TYPE or undefined. */
export function readClaims(encodedPayload) {
  const bytes = decodeBase64url(encodedPayload)
  const text = bytes === null ? null : utf8Text(bytes)
  const members = text === null ? null : objectMembers(text)
  if (members === null) refuse(Refusal.malformedClaims)
  const claims = {}
  for (const { key, raw } of members) {
    if (!isWellFormed(key)) refuse(Refusal.malformedClaims)
    if (!READ_CLAIMS.has(key)) continue
    if (Object.hasOwn(claims, key)) refuse(Refusal.malformedClaims)
    const value = literalValue(raw)
    const expected = key === 'ext' ? 'string' : 'number'
    claims[key] = typeof value === expected ? value : OTHER_TYPE
  }
  return claims
}

/** The time claim `name` in seconds, `undefined` when absent; refused when not a number. */
export function timeClaim(claims, name) {
  const value = claims[name]
  if (value === OTHER_TYPE) refuse(badTimeClaim(name))
  return value
}

/** The identifiers: the ext claim, which must be a string. */
export function identifiersClaim(claims) {
  if (claims.ext === undefined) refuse(Refusal.missingExt)
  if (claims.ext === OTHER_TYPE) refuse(Refusal.extNotString)
  return claims.ext
}

/** The ext claim if it is a string, else `null` (jose does not look at ext). */
export function extString(claims) {
  return typeof claims.ext === 'string' ? claims.ext : null
}
