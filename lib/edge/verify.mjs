// Token verification by the two rule sets of the native core: AnyCable's (the server's) and
// jose's as @anycable/serverless-js applies them (crates/anycable-core/src/token/jose.rs).

import { decodeBase64url } from './base64.mjs'
import { readClaims, timeClaim, identifiersClaim, extString } from './claims.mjs'
import { headerAlgorithm } from './header.mjs'
import { utf8 } from './text.mjs'
import { Refusal, refuse } from './token-error.mjs'

/** Tokens longer than this many UTF-8 bytes are refused before any parsing. */
export const MAX_TOKEN_LEN = 8 * 1024

/** serverless-js's `verify`: any HMAC algorithm, issued at most `maxAge` seconds ago. */
export const maxAgeRules = maxAge => ({ only: null, maxAge, unlisted: true })
/** serverless-js's `verifyAndFetch`: HS256 only, no maximum age. */
export const HS256_ONLY = Object.freeze({ only: 'HS256', maxAge: null, unlisted: false })
/** AnyCable's: HS256, HS384 and HS512; any other name is not allowed. */
const HMAC = Object.freeze({ only: null, maxAge: null, unlisted: false })

/** Whole seconds since the epoch, as the native core's clock and jose's. */
export function unixNow() {
  return Math.floor(Date.now() / 1000)
}

/** `alg` (`null`: not an HMAC name) if `rules` accept it; refused otherwise. */
function allowedAlgorithm(alg, rules) {
  if (rules.only !== null) {
    if (alg !== rules.only) refuse(Refusal.algorithmNotHs256)
    return alg
  }
  if (alg === null) refuse(rules.unlisted ? Refusal.unsupportedAlgorithm : Refusal.algorithmNotHmac)
  return alg
}

/** The three segments of a compact JWS, or `null`. */
function segments(token) {
  const first = token.indexOf('.')
  const last = token.lastIndexOf('.')
  if (first < 0 || first === last) return null
  const payload = token.slice(first + 1, last)
  if (payload.includes('.')) return null
  return [token.slice(0, first), payload, token.slice(last + 1)]
}

/**
 * The claims of a token whose algorithm `rules` allow and whose signature matches, refused in
 * jose's order: the length, the compact form, the header, the algorithm, the signature, then the
 * claims' JSON.
 */
async function signedClaims(keys, token, rules) {
  const bytes = utf8(token)
  if (bytes.length > MAX_TOKEN_LEN) refuse(Refusal.tooLong)
  const parts = segments(token)
  if (parts === null) refuse(Refusal.malformed)
  const [header, payload, signature] = parts
  const algorithm = allowedAlgorithm(headerAlgorithm(header), rules)
  const tag = decodeBase64url(signature)
  const signed = utf8(token.slice(0, header.length + 1 + payload.length))
  if (tag === null || !(await keys.verify(algorithm, signed, tag))) refuse(Refusal.badSignature)
  return readClaims(payload)
}

/** The identifiers (ext text) of a valid token by AnyCable's rules: signature, exp, nbf, then ext. */
export async function verifyAnyCable(keys, token, now = unixNow()) {
  const claims = await signedClaims(keys, token, HMAC)
  const exp = timeClaim(claims, 'exp')
  if (exp !== undefined && now >= exp) refuse(Refusal.expired)
  const nbf = timeClaim(claims, 'nbf')
  if (nbf !== undefined && now < nbf) refuse(Refusal.notYetValid)
  return identifiersClaim(claims)
}

/** The ext text of a valid token by jose's rules (`null` when ext is not a string). */
export async function verifyJose(keys, token, rules, now = unixNow()) {
  const claims = await signedClaims(keys, token, rules)
  const iat = timeClaim(claims, 'iat')
  if (rules.maxAge !== null && iat === undefined) refuse(Refusal.missingIat)
  const nbf = timeClaim(claims, 'nbf')
  if (nbf !== undefined && nbf > now) refuse(Refusal.notYetValid)
  const exp = timeClaim(claims, 'exp')
  if (exp !== undefined && exp <= now) refuse(Refusal.expired)
  if (rules.maxAge !== null && iat !== undefined) {
    const age = now - iat
    if (age > rules.maxAge) refuse(Refusal.tooOld)
    if (age < 0) refuse(Refusal.issuedInFuture)
  }
  return extString(claims)
}
