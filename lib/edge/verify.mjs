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
export const HMAC = Object.freeze({ only: null, maxAge: null, unlisted: false })

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
 * The checks before the signature, in jose's order (the length, the compact form, the header,
 * the algorithm): the algorithm, the signed bytes, the decoded signature and the payload segment.
 */
function signingParts(token, rules) {
  if (utf8(token).length > MAX_TOKEN_LEN) refuse(Refusal.tooLong)
  const parts = segments(token)
  if (parts === null) refuse(Refusal.malformed)
  const [header, payload, signature] = parts
  const algorithm = allowedAlgorithm(headerAlgorithm(header), rules)
  const tag = decodeBase64url(signature)
  // A signature that is not base64url cannot match; jose reports it as a mismatch too.
  if (tag === null) refuse(Refusal.badSignature)
  return { algorithm, signed: utf8(token.slice(0, header.length + 1 + payload.length)), tag, payload }
}

/**
 * `checkClaims(claims, now)` of a token whose algorithm `rules` allow and whose signature
 * matches, checked with `keys.verifySync` when `sync`, else with WebCrypto (then a promise).
 */
export function verifyWith(keys, token, rules, checkClaims, sync) {
  const { algorithm, signed, tag, payload } = signingParts(token, rules)
  const afterSignature = matches => {
    if (!matches) refuse(Refusal.badSignature)
    return checkClaims(readClaims(payload), unixNow())
  }
  return sync ? afterSignature(keys.verifySync(algorithm, signed, tag)) : keys.verify(algorithm, signed, tag).then(afterSignature)
}

/** AnyCable's rules (the server's) on signed claims: exp, nbf, then the ext string. */
export function anyCableClaims(claims, now) {
  const exp = timeClaim(claims, 'exp')
  if (exp !== undefined && now >= exp) refuse(Refusal.expired)
  const nbf = timeClaim(claims, 'nbf')
  if (nbf !== undefined && now < nbf) refuse(Refusal.notYetValid)
  return identifiersClaim(claims)
}

/** jose's claim checks under `rules`, in its order; the ext text, or `null` when ext is not a string. */
export const joseClaims = rules => (claims, now) => {
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
