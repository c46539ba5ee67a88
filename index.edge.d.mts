// Types of the Edge build (index.edge.mjs), which the edge-light, workerd, worker, browser and
// deno export conditions select. It signs with WebCrypto, which is async: the token, stream and
// key helpers that the native build (index.d.ts) runs synchronously return promises here, and the
// identificator's sync variants throw. Tokens, signatures and verdicts are the native build's.
import type {
  Identifiers,
  Ttl,
  TokenErrorReason,
  TokenErrorCode,
  Identificator as NativeIdentificator,
  GenerateTokenOptions,
  Algorithm,
  IMetadata,
  IPayload,
  IBroadcast,
  BroadcasterOptions,
} from './index.js'

export type { Identifiers, Ttl, TokenErrorReason, TokenErrorCode, GenerateTokenOptions, Algorithm, IMetadata, IPayload, IBroadcast, BroadcasterOptions }
export { TokenError, broadcaster } from './index.js'

/**
 * What `identificator()` returns: the `@anycable/serverless-js` API. `generateTokenSync` and
 * `verifyTokenSync` exist so a shared code path fails clearly: on Edge runtimes they throw an
 * `Error` naming the async method to use.
 */
export interface Identificator<I extends Identifiers = Identifiers> extends Omit<NativeIdentificator<I>, 'generateTokenSync' | 'verifyTokenSync'> {
  /** Throws: WebCrypto is async. Use `await generateToken(identifiers)`. */
  generateTokenSync(identifiers: I): never
  /** Throws: WebCrypto is async. Use `await verifyAndFetch(token)` or `await verifyToken(token)`. */
  verifyTokenSync(token: string): never
}

/** serverless-js's name for `Identificator`. */
export type IIdentificator<I extends Identifiers = Identifiers> = Identificator<I>

/**
 * Issues and verifies AnyCable identification tokens for one secret; a drop-in for
 * `@anycable/serverless-js`'s `identificator`. Throws `TypeError` for an empty secret or invalid ttl.
 */
export declare function identificator<I extends Identifiers = Identifiers>(secret: string, ttl: Ttl): Identificator<I>

/**
 * A token for `identifiers`, signed with `options.secret`. Rejects with `TypeError` for bad options
 * (unknown names included) and for identifiers that would make a token over 8 KiB. (Sync in the native build.)
 */
export declare function generateToken(identifiers: Identifiers, options: GenerateTokenOptions): Promise<string>

/**
 * The identifiers of a valid token (HS256, HS384 or HS512); rejects with `TokenError` otherwise.
 * (Sync in the native build.)
 */
export declare function verifyToken<I extends Identifiers = Identifiers>(token: string, options: { secret: string }): Promise<I>

/** Signs a stream name (Rails `MessageVerifier`, SHA256, JSON) for `$pubsub` / Turbo subscriptions. (Sync in the native build.) */
export declare function signStream(name: string, secret: string): Promise<string>

/** The stream name inside a signed name, or `null` when the signature does not match. (Sync in the native build.) */
export declare function verifyStream(signed: string, secret: string): Promise<string | null>

/** The HTTP broadcast key AnyCable derives from the common secret. (Sync in the native build.) */
export declare function broadcastKey(secret: string): Promise<string>

/** The key an AnyCable server sends to an RPC endpoint as `Authorization: Bearer <key>`. (Sync in the native build.) */
export declare function rpcKey(secret: string): Promise<string>

/** Signs stream names with `secret`; async here (serverless-js's `IStreamSigner` is sync). */
export type IStreamSigner = (stream: string) => Promise<string>

/** `stream => signStream(stream, secret)`. Throws `TypeError` for an empty secret. */
export declare function signer(secret: string): IStreamSigner
