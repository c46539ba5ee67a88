// Issuing and verifying AnyCable identification tokens with WebCrypto: the same tokens, verdicts
// and errors as the native build's identificator (lib/tokens.js), every method async.

import { encodeIdentifiers, requireAlgorithm, requireSecret, requireToken } from './arguments.mjs'
import { encodeBase64url } from './base64.mjs'
import { HmacKeys } from './hmac.mjs'
import { rustFloat } from './rust-format.mjs'
import { utf8 } from './text.mjs'
import { Refused, Refusal, tokenError } from './token-error.mjs'
import { LONGEST_TTL, ttlSeconds } from './ttl.mjs'
import { HS256_ONLY, MAX_TOKEN_LEN, maxAgeRules, unixNow, verifyAnyCable, verifyJose } from './verify.mjs'

/** A token core for one secret, ttl and algorithm: what the native `createIdentificator` returns. */
export function createCore(secret, ttl, algorithm) {
  requireSecret(secret)
  if (typeof ttl !== 'number' && typeof ttl !== 'string') {
    throw new TypeError('ttl must be a number of seconds or a span such as "1h"')
  }
  requireAlgorithm(algorithm)
  const seconds = ttlSeconds(ttl)
  const alg = algorithm ?? 'HS256'
  const keys = new HmacKeys(secret)
  const headerPrefix = `${encodeBase64url(utf8(`{"alg":"${alg}"}`))}.`
  const maxAge = maxAgeRules(seconds)
  return {
    ttl: seconds,
    /** A token for the ext text `ext`, issued now; expiring after the ttl or at `expiresAt` seconds. */
    async generate(ext, expiresAt) {
      const now = unixNow()
      let exp = now + seconds
      if (expiresAt !== undefined) {
        const latest = now + LONGEST_TTL
        if (!(expiresAt >= 0 && expiresAt <= latest)) {
          throw new TypeError(`expiresAt must be seconds since the epoch from 0 to ${latest} (now + the longest ttl, about 31 years), got ${rustFloat(expiresAt)}`)
        }
        exp = Math.floor(expiresAt)
      }
      const payload = `{"ext":${JSON.stringify(ext)},"exp":${exp},"iat":${now}}`
      const signed = headerPrefix + encodeBase64url(utf8(payload))
      const token = `${signed}.${encodeBase64url(await keys.sign(alg, utf8(signed)))}`
      if (token.length > MAX_TOKEN_LEN) {
        throw new TypeError(`the token would be ${token.length} bytes, over the ${MAX_TOKEN_LEN}-byte limit every verifier enforces; use shorter identifiers`)
      }
      return token
    },
    /** The ext text of a valid token by AnyCable's rules; the refusal otherwise. */
    verify: token => outcome(verifyAnyCable(keys, token)),
    verifyMaxAge: token => outcome(verifyJose(keys, token, maxAge)),
    verifyHs256: token => outcome(verifyJose(keys, token, HS256_ONLY)),
  }
}

/** A verifier's answer, or the refusal it threw, as the native core returns them. */
async function outcome(verifying) {
  try {
    return await verifying
  } catch (error) {
    if (error instanceof Refused) return error.refusal
    throw error
  }
}

/** A refusal (an object, as opposed to ext text or null) as the TokenError it is. */
export function acceptedOrThrow(result) {
  if (result !== null && typeof result === 'object') throw tokenError(result)
  return result
}

/** The identifiers in a valid token's ext text, or `undefined` when that text is not JSON. */
function parseIdentifiers(ext) {
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

/** The sync variants cannot exist here: WebCrypto is async. */
function asyncOnly(name, instead) {
  return () => {
    throw new Error(`${name} is not available on Edge runtimes, where tokens are signed with WebCrypto, which is async; use ${instead} instead`)
  }
}

/**
 * Issues and verifies AnyCable identification tokens; a drop-in for `@anycable/serverless-js`'s
 * `identificator(secret, ttl)`. `generateTokenSync` and `verifyTokenSync` throw here (see README).
 */
export function identificator(secret, ttl) {
  const core = createCore(secret, ttl)
  return {
    ttl: core.ttl,
    generateTokenSync: asyncOnly('generateTokenSync', 'await generateToken'),
    verifyTokenSync: asyncOnly('verifyTokenSync', 'await verifyAndFetch (or verifyToken)'),
    generateToken: async identifiers => core.generate(encodeIdentifiers(identifiers)),
    verifyToken: async token => {
      requireToken(token)
      const result = await core.verify(token)
      // A valid token whose ext is not JSON is as unusable as a bad one: null, never a SyntaxError.
      return typeof result === 'string' ? (parseIdentifiers(result) ?? null) : null
    },
    verifyAndFetch: async token => {
      requireToken(token)
      const ext = acceptedOrThrow(await core.verifyHs256(token))
      return ext === null ? null : identifiersOrThrow(ext)
    },
    verify: async token => {
      requireToken(token)
      acceptedOrThrow(await core.verifyMaxAge(token))
      return true
    },
  }
}
