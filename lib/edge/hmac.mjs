// HMAC through WebCrypto (`crypto.subtle`), which every Edge runtime has: one key per secret and
// hash, imported once and reused.

import { utf8 } from './text.mjs'

const HASHES = { HS256: 'SHA-256', HS384: 'SHA-384', HS512: 'SHA-512' }

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
      key = crypto.subtle.importKey('raw', this.#secret, { name: 'HMAC', hash: HASHES[algorithm] }, false, ['sign', 'verify'])
      this.#keys.set(algorithm, key)
    }
    return key
  }

  /** The tag of `message` (bytes). */
  async sign(algorithm, message) {
    return new Uint8Array(await crypto.subtle.sign('HMAC', await this.#key(algorithm), message))
  }

  /** Whether `signature` is the tag of `message`, compared in constant time by WebCrypto. */
  async verify(algorithm, message, signature) {
    return crypto.subtle.verify('HMAC', await this.#key(algorithm), signature, message)
  }
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'))

/** Lower-case hex of `bytes`. */
export function hex(bytes) {
  let text = ''
  for (const byte of bytes) text += HEX[byte]
  return text
}
