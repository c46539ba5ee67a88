// Issuing and verifying AnyCable identification tokens without the native addon: the same
// tokens, verdicts and errors as the native build's identificator (lib/tokens.js).

import { encodeIdentifiers, requireIdentificatorArguments, requireToken } from './arguments.mjs'
import { encodeBase64url } from './base64.mjs'
import { HmacKeys } from './hmac.mjs'
import { rustFloat } from './rust-format.mjs'
import { utf8 } from './text.mjs'
import { Refused } from './token-error.mjs'
import { LONGEST_TTL, ttlSeconds } from './ttl.mjs'
import { acceptedOrThrow, identifiersOrThrow, parseIdentifiers } from './verdicts.mjs'
import { HMAC, HS256_ONLY, MAX_TOKEN_LEN, anyCableClaims, joseClaims, maxAgeRules, unixNow, verifyWith } from './verify.mjs'

/**
 * A token core for one secret, ttl and algorithm, what the native `createIdentificator` returns:
 * `generate` and the verifiers sign with WebCrypto (async), their `Sync` twins in JS. The
 * verifiers give ext text (or `null`) or a refusal, as the native ones do.
 */
export function createCore(secret, ttl, algorithm) {
  requireIdentificatorArguments(secret, ttl, algorithm)
  const seconds = ttlSeconds(ttl)
  const alg = algorithm ?? 'HS256'
  const keys = new HmacKeys(secret)
  const headerPrefix = `${encodeBase64url(utf8(`{"alg":"${alg}"}`))}.`
  const jose = { maxAge: joseClaims(maxAgeRules(seconds)), hs256: joseClaims(HS256_ONLY) }
  const rules = { maxAge: maxAgeRules(seconds), hs256: HS256_ONLY }

  /** The signing input of a token for `ext` issued now: after the ttl or at `expiresAt` seconds. */
  const signingInput = (ext, expiresAt) => {
    const now = unixNow()
    let exp = now + seconds
    if (expiresAt !== undefined) {
      const latest = now + LONGEST_TTL
      if (!(expiresAt >= 0 && expiresAt <= latest)) {
        throw new TypeError(`expiresAt must be seconds since the epoch from 0 to ${latest} (now + the longest ttl, about 31 years), got ${rustFloat(expiresAt)}`)
      }
      exp = Math.floor(expiresAt)
    }
    return headerPrefix + encodeBase64url(utf8(`{"ext":${JSON.stringify(ext)},"exp":${exp},"iat":${now}}`))
  }
  const token = (signed, tag) => {
    const token = `${signed}.${encodeBase64url(tag)}`
    if (token.length > MAX_TOKEN_LEN) {
      throw new TypeError(`the token would be ${token.length} bytes, over the ${MAX_TOKEN_LEN}-byte limit every verifier enforces; use shorter identifiers`)
    }
    return token
  }

  return {
    ttl: seconds,
    async generate(ext, expiresAt) {
      const signed = signingInput(ext, expiresAt)
      return token(signed, await keys.sign(alg, utf8(signed)))
    },
    generateSync(ext, expiresAt) {
      const signed = signingInput(ext, expiresAt)
      return token(signed, keys.signSync(alg, utf8(signed)))
    },
    verify: token => outcome(() => verifyWith(keys, token, HMAC, anyCableClaims, false)),
    verifySync: token => outcomeSync(() => verifyWith(keys, token, HMAC, anyCableClaims, true)),
    verifyMaxAge: token => outcome(() => verifyWith(keys, token, rules.maxAge, jose.maxAge, false)),
    verifyHs256: token => outcome(() => verifyWith(keys, token, rules.hs256, jose.hs256, false)),
  }
}

/** A verifier's answer, or the refusal it threw, as the native core returns them. */
function outcomeSync(verify) {
  try {
    return verify()
  } catch (error) {
    if (error instanceof Refused) return error.refusal
    throw error
  }
}

/** As `outcomeSync`, for a verifier that returns a promise. */
async function outcome(verify) {
  try {
    return await verify()
  } catch (error) {
    if (error instanceof Refused) return error.refusal
    throw error
  }
}

/**
 * Issues and verifies AnyCable identification tokens; a drop-in for `@anycable/serverless-js`'s
 * `identificator(secret, ttl)`, plus sync variants (HMAC in JS, @noble/hashes: ~30 µs a call, benchmark/edge-sync.mjs).
 */
export function identificator(secret, ttl) {
  const core = createCore(secret, ttl)
  return {
    ttl: core.ttl,
    generateTokenSync: identifiers => core.generateSync(encodeIdentifiers(identifiers)),
    verifyTokenSync: token => {
      requireToken(token)
      return identifiersOrThrow(acceptedOrThrow(core.verifySync(token)))
    },
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
