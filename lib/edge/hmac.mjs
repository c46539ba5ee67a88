// HMAC for the Edge build: WebCrypto (`crypto.subtle`, in every Edge runtime, native code) for
// the async API, and @noble/hashes (audited pure JS) for the sync one, which WebCrypto cannot
// serve. Both give the same tags; the parity tests compare each with the native build.

import { hmac } from '@noble/hashes/hmac.js'
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js'
import { utf8 } from './text.mjs'

const WEB_CRYPTO_HASHES = { HS256: 'SHA-256', HS384: 'SHA-384', HS512: 'SHA-512' }
const NOBLE_HASHES = { HS256: sha256, HS384: sha384, HS512: sha512 }

/** Whether two tags are equal, in time that depends on their length only. */
function tagsMatch(tag, signature) {
  if (tag.length !== signature.length) return false
  let difference = 0
  for (let index = 0; index < tag.length; index++) difference |= tag[index] ^ signature[index]
  return difference === 0
}

/** Signs and verifies with one secret; `algorithm` is HS256, HS384 or HS512. */
export class HmacKeys {
  #secret
  #keys = new Map()

  constructor(secret) {
    this.#secret = utf8(secret)
  }

  #key(algorithm) {
    let key = this.#keys.get(algorithm)
    if (key === undefined) {
      key = crypto.subtle.importKey('raw', this.#secret, { name: 'HMAC', hash: WEB_CRYPTO_HASHES[algorithm] }, false, ['sign', 'verify'])
      this.#keys.set(algorithm, key)
    }
    return key
  }

  /** The tag of `message` (bytes), by WebCrypto. */
  async sign(algorithm, message) {
    return new Uint8Array(await crypto.subtle.sign('HMAC', await this.#key(algorithm), message))
  }

  /** Whether `signature` is the tag of `message`, compared in constant time by WebCrypto. */
  async verify(algorithm, message, signature) {
    return crypto.subtle.verify('HMAC', await this.#key(algorithm), signature, message)
  }

  /** The tag of `message`, computed synchronously in JS. */
  signSync(algorithm, message) {
    return hmac(NOBLE_HASHES[algorithm], this.#secret, message)
  }

  /** Whether `signature` is the tag of `message`, computed synchronously and compared in constant time. */
  verifySync(algorithm, message, signature) {
    return tagsMatch(this.signSync(algorithm, message), signature)
  }
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'))

/** Lower-case hex of `bytes`. */
export function hex(bytes) {
  let text = ''
  for (const byte of bytes) text += HEX[byte]
  return text
}
