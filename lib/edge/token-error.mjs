// TokenError and the refusals it carries: the same reason, jose code and message as the native
// core's (crates/anycable-core/src/token/error.rs).

const TOKEN_ERROR_REASONS = new Set(['token_expired', 'unauthorized'])
/** The codes jose 4 gives the tokens it refuses (see index.d.ts). */
const TOKEN_ERROR_CODES = new Set([
  'ERR_JWT_EXPIRED',
  'ERR_JWT_CLAIM_VALIDATION_FAILED',
  'ERR_JWT_INVALID',
  'ERR_JWS_INVALID',
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JOSE_NOT_SUPPORTED',
])

/**
 * Why a token was refused: `reason` is `'token_expired'` or `'unauthorized'`, as sent on the
 * wire; `code` is the code jose (and so `@anycable/serverless-js`) gives the same token.
 */
export class TokenError extends Error {
  constructor(reason, message, code) {
    super(message)
    if (!TOKEN_ERROR_REASONS.has(reason)) throw new TypeError(`unknown TokenError reason ${reason}`)
    if (!TOKEN_ERROR_CODES.has(code)) throw new TypeError(`TokenError code must be a jose error code such as ERR_JWT_EXPIRED, got ${code}`)
    this.name = 'TokenError'
    this.reason = reason
    this.code = code
  }
}

const refusal = (reason, code, message) => Object.freeze({ reason, code, message })
const unauthorized = (code, message) => refusal('unauthorized', code, message)

/** Each refusal by name, as the native core words it. */
export const Refusal = Object.freeze({
  expired: refusal('token_expired', 'ERR_JWT_EXPIRED', 'token has expired'),
  tooOld: refusal('token_expired', 'ERR_JWT_EXPIRED', 'token is older than the ttl (iat too far in the past)'),
  tooLong: unauthorized('ERR_JWS_INVALID', 'token is longer than 8 KiB'),
  malformed: unauthorized('ERR_JWS_INVALID', 'token is malformed (expected three base64url segments of JSON)'),
  missingAlgorithm: unauthorized('ERR_JWS_INVALID', 'token header has no alg'),
  unknownCritical: unauthorized('ERR_JOSE_NOT_SUPPORTED', "token header's crit names an extension this verifier does not support"),
  malformedClaims: unauthorized('ERR_JWT_INVALID', 'token claims are not a JSON object'),
  algorithmNotHmac: unauthorized('ERR_JOSE_ALG_NOT_ALLOWED', 'token algorithm is not HS256, HS384 or HS512'),
  algorithmNotHs256: unauthorized('ERR_JOSE_ALG_NOT_ALLOWED', 'token algorithm is not HS256'),
  unsupportedAlgorithm: unauthorized('ERR_JOSE_NOT_SUPPORTED', 'token algorithm is not HS256, HS384 or HS512'),
  badSignature: unauthorized('ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'token signature does not match'),
  notYetValid: unauthorized('ERR_JWT_CLAIM_VALIDATION_FAILED', 'token is not valid yet (nbf is in the future)'),
  missingExt: unauthorized('ERR_JWT_CLAIM_VALIDATION_FAILED', 'token has no ext claim'),
  extNotString: unauthorized('ERR_JWT_CLAIM_VALIDATION_FAILED', 'token ext claim is not a string'),
  missingIat: unauthorized('ERR_JWT_CLAIM_VALIDATION_FAILED', 'token has no iat claim, which a maximum age requires'),
  issuedInFuture: unauthorized('ERR_JWT_CLAIM_VALIDATION_FAILED', 'token iat claim is in the future'),
  // serverless-js lets JSON.parse's SyntaxError through (no code); an unusable claim is jose's
  // claim failure.
  extNotJson: unauthorized('ERR_JWT_CLAIM_VALIDATION_FAILED', 'token ext claim is not JSON'),
})

/** The refusal for a time claim (`exp`, `nbf` or `iat`) that is present but not a number. */
export function badTimeClaim(name) {
  return unauthorized('ERR_JWT_CLAIM_VALIDATION_FAILED', `token ${name} claim is not a number`)
}

/** A verification step's failure: the refusal travels as an exception between the steps. */
export class Refused {
  constructor(refusal) {
    this.refusal = refusal
  }
}

/** Throws `refusal` to the verifier's caller. */
export function refuse(refusal) {
  throw new Refused(refusal)
}

/** `refusal` as the TokenError callers see. */
export function tokenError({ reason, message, code }) {
  return new TokenError(reason, message, code)
}
