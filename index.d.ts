/** Connection identifiers carried in a token's `ext` claim, such as `{ user_id: 42 }`. */
export type Identifiers = Record<string, unknown>

/** A token lifetime: seconds, or a span such as `"30s"`, `"15m"`, `"1h"`, `"2 days"`, `"1w"`, `"1y"`. */
export type Ttl = number | string

export type TokenErrorCode = 'token_expired' | 'unauthorized'

/** Why a token was refused. `code` is the reason an AnyCable server sends on the wire. */
export declare class TokenError extends Error {
  constructor(code: TokenErrorCode, message: string)
  readonly name: 'TokenError'
  /** `token_expired`: correctly signed but `now >= exp`; `unauthorized`: anything else. */
  readonly code: TokenErrorCode
}

/** What `identificator()` returns: the `@anycable/serverless-js` API plus sync variants. */
export interface Identificator<I extends Identifiers = Identifiers> {
  /** The token lifetime in seconds. */
  readonly ttl: number
  /** An HS256 token with claims `{ ext: JSON.stringify(identifiers), iat, exp: iat + ttl }`. */
  generateToken(identifiers: I): Promise<string>
  /** The identifiers of a valid token, `null` for any invalid or expired one. */
  verifyToken(token: string): Promise<I | null>
  /** Same as `verifyToken` (the serverless-js name). */
  verifyAndFetch(token: string): Promise<I | null>
  /** Resolves `true` for a valid token; rejects with a `TokenError` otherwise. */
  verify(token: string): Promise<true>
  generateTokenSync(identifiers: I): string
  /** The identifiers of a valid token; throws `TokenError` otherwise. */
  verifyTokenSync(token: string): I
}

/**
 * Issues and verifies AnyCable identification tokens for one secret; a drop-in for
 * `@anycable/serverless-js`'s `identificator`. Throws `TypeError` for an empty secret or invalid ttl.
 */
export declare function identificator<I extends Identifiers = Identifiers>(secret: string, ttl: Ttl): Identificator<I>

export type Algorithm = 'HS256' | 'HS384' | 'HS512'

export interface GenerateTokenOptions {
  secret: string
  /** Lifetime; default one hour. Ignored when `expiresAt` is given. */
  ttl?: Ttl
  /** Absolute expiry: seconds since the epoch, or a Date. */
  expiresAt?: number | Date
  /** Default `HS256`. */
  algorithm?: Algorithm
}

/** A token for `identifiers`, signed with `options.secret`. */
export declare function generateToken(identifiers: Identifiers, options: GenerateTokenOptions): string

/** The identifiers of a valid token (HS256, HS384 or HS512); throws `TokenError` otherwise. */
export declare function verifyToken<I extends Identifiers = Identifiers>(token: string, options: { secret: string }): I

/** Signs a stream name (Rails `MessageVerifier`, SHA256, JSON) for `$pubsub` / Turbo subscriptions. */
export declare function signStream(name: string, secret: string): string

/** The stream name inside a signed name, or `null` when the signature does not match. */
export declare function verifyStream(signed: string, secret: string): string | null

/** The HTTP broadcast key AnyCable derives from the common secret: `hex(HMAC_SHA256(secret, "broadcast-cable"))`. */
export declare function broadcastKey(secret: string): string

declare const anycable: {
  TokenError: typeof TokenError
  identificator: typeof identificator
  generateToken: typeof generateToken
  verifyToken: typeof verifyToken
  signStream: typeof signStream
  verifyStream: typeof verifyStream
  broadcastKey: typeof broadcastKey
}
export default anycable
