// Signed stream names (Rails MessageVerifier: SHA256, JSON), as the native core signs them
// (crates/anycable-core/src/streams.rs), sync as there (HMAC in JS).

import { requireSecret } from './arguments.mjs'
import { decodeAnyBase64, encodeBase64 } from './base64.mjs'
import { HmacKeys, hex } from './hmac.mjs'
import { isWellFormed, parseJson, utf8, utf8Text, wellFormed } from './text.mjs'

const SEPARATOR = '--'

/** `base64(JSON(name)) + "--" + hex(HMAC_SHA256(secret, base64 text))`, for the `$pubsub` channel. */
export function signStream(name, secret) {
  if (typeof name !== 'string') throw new TypeError('stream name must be a string')
  requireSecret(secret)
  const encoded = encodeBase64(utf8(JSON.stringify(wellFormed(name))))
  const digest = new HmacKeys(secret).signSync('HS256', utf8(encoded))
  return `${encoded}${SEPARATOR}${hex(digest)}`
}

/** The stream name inside `signed`, or `null` when the signature does not match. */
export function verifyStream(signed, secret) {
  if (typeof signed !== 'string') throw new TypeError('signed stream name must be a string')
  requireSecret(secret)
  const text = wellFormed(signed)
  const at = text.lastIndexOf(SEPARATOR)
  if (at < 0) return null
  const encoded = text.slice(0, at)
  const digest = text.slice(at + SEPARATOR.length)
  // Only the canonical lower-case hex that signStream (and Rails) write.
  if (!/^(?:[0-9a-f]{2})*$/.test(digest)) return null
  const tag = Uint8Array.from(digest.match(/../g) ?? [], pair => parseInt(pair, 16))
  if (!new HmacKeys(secret).verifySync('HS256', utf8(encoded), tag)) return null
  const bytes = decodeAnyBase64(encoded)
  const json = bytes === null ? null : utf8Text(bytes)
  const name = json === null ? undefined : parseJson(json)
  return typeof name === 'string' && isWellFormed(name) ? name : null
}

/** `(stream) => signed`: `signStream(stream, secret)` with the secret checked once, up front. */
export function signer(secret) {
  requireSecret(secret)
  return stream => signStream(stream, secret)
}
