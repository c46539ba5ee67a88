// A JWS header read as the native core reads it (serde_json into `{ alg, crit, b64 }`): alg is
// a string without escapes, or null; alg, crit and b64 appear once; a key never holds an unpaired
// surrogate escape; crit and b64 are read whole (no unpaired surrogate, no number beyond f64,
// under serde_json's nesting limit); then crit (RFC 7515 §4.1.11) before alg, as jose has it.

import { decodeBase64url, encodeBase64url } from './base64.mjs'
import { objectMembers } from './json-members.mjs'
import { isWellFormed, utf8, utf8Text } from './text.mjs'
import { Refusal, refuse } from './token-error.mjs'

export const ALGORITHMS = ['HS256', 'HS384', 'HS512']

/** The headers common producers write, encoded, to skip reading them (as the native core does). */
const KNOWN_HEADERS = new Map(
  ALGORITHMS.flatMap(alg => [
    [encodeBase64url(utf8(`{"alg":"${alg}","typ":"JWT"}`)), alg],
    [encodeBase64url(utf8(`{"alg":"${alg}"}`)), alg],
  ]),
)

/** serde_json refuses a value this many brackets deep inside the header object (its limit is 128 levels). */
const TOO_DEEP = 127

const HEADER_FIELDS = new Set(['alg', 'crit', 'b64'])

/** Whether `value`, as JSON.parse read it, is what serde_json reads into a `Value`. */
function readableWhole(value) {
  if (typeof value === 'string') return isWellFormed(value)
  if (typeof value === 'number') return Number.isFinite(value)
  if (value === null || typeof value !== 'object') return true
  if (Array.isArray(value)) return value.every(readableWhole)
  return Object.entries(value).every(([key, inner]) => isWellFormed(key) && readableWhole(inner))
}

/** The header's fields, or the refusal of a header serde_json could not read. */
function readHeader(encoded) {
  const bytes = decodeBase64url(encoded)
  const text = bytes === null ? null : utf8Text(bytes)
  const members = text === null ? null : objectMembers(text)
  if (members === null) refuse(Refusal.malformed)
  const seen = new Set()
  for (const { key, raw, nesting } of members) {
    if (!isWellFormed(key)) refuse(Refusal.malformed)
    if (!HEADER_FIELDS.has(key)) continue
    if (seen.has(key)) refuse(Refusal.malformed)
    seen.add(key)
    // alg is borrowed: a string with an escape cannot be, and any other type is not a string.
    if (key === 'alg' && raw !== 'null' && !(raw?.startsWith('"') && !raw.includes('\\'))) refuse(Refusal.malformed)
    if (nesting >= TOO_DEEP) refuse(Refusal.malformed)
  }
  const header = JSON.parse(text)
  const field = name => (seen.has(name) ? header[name] : undefined)
  const fields = { alg: field('alg'), crit: field('crit'), b64: field('b64') }
  if (!readableWhole(fields.crit) || !readableWhole(fields.b64)) refuse(Refusal.malformed)
  return fields
}

/** Refuses a crit naming an extension other than `b64` with its default value (`true`). */
function checkCritical({ crit, b64 }) {
  if (crit === undefined) return
  if (!Array.isArray(crit) || crit.length === 0) refuse(Refusal.malformed)
  if (!crit.every(name => typeof name === 'string' && name !== '')) refuse(Refusal.malformed)
  for (const name of crit) {
    if (name !== 'b64') refuse(Refusal.unknownCritical)
    if (b64 === undefined) refuse(Refusal.malformed)
  }
  if (b64 === true) return
  refuse(b64 === false ? Refusal.unknownCritical : Refusal.malformed)
}

/** The header's HMAC algorithm (`'HS256'`, `'HS384'`, `'HS512'`), or `null` for any other name. */
export function headerAlgorithm(encoded) {
  const known = KNOWN_HEADERS.get(encoded)
  if (known !== undefined) return known
  const header = readHeader(encoded)
  checkCritical(header)
  const { alg } = header
  if (alg === undefined || alg === null || alg === '') refuse(Refusal.missingAlgorithm)
  return ALGORITHMS.includes(alg) ? alg : null
}
