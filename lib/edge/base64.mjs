// Base64 as the native core reads and writes it (base64-simd): encoding without line breaks, and
// strict decoding that refuses padding where the alphabet has none, stray characters, and
// non-zero bits after the last byte, so one byte string has exactly one text.

const STANDARD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

function valuesOf(alphabet) {
  const values = new Int8Array(128).fill(-1)
  for (let index = 0; index < alphabet.length; index++) values[alphabet.charCodeAt(index)] = index
  return values
}

const STANDARD_VALUES = valuesOf(STANDARD)
const URL_SAFE_VALUES = valuesOf(URL_SAFE)

function encode(bytes, alphabet, padded) {
  let text = ''
  let index = 0
  for (; index + 2 < bytes.length; index += 3) {
    const word = (bytes[index] << 16) | (bytes[index + 1] << 8) | bytes[index + 2]
    text += alphabet[word >> 18] + alphabet[(word >> 12) & 63] + alphabet[(word >> 6) & 63] + alphabet[word & 63]
  }
  const rest = bytes.length - index
  if (rest === 1) {
    const word = bytes[index] << 16
    text += alphabet[word >> 18] + alphabet[(word >> 12) & 63] + (padded ? '==' : '')
  } else if (rest === 2) {
    const word = (bytes[index] << 16) | (bytes[index + 1] << 8)
    text += alphabet[word >> 18] + alphabet[(word >> 12) & 63] + alphabet[(word >> 6) & 63] + (padded ? '=' : '')
  }
  return text
}

/** The bytes `text` stands for, or `null` when it is not canonical base64 in that alphabet. */
function decode(text, values, padded) {
  let length = text.length
  if (padded) {
    if (length % 4 !== 0) return null
    if (text.endsWith('==')) length -= 2
    else if (text.endsWith('=')) length -= 1
  }
  if (length % 4 === 1) return null
  const bytes = new Uint8Array(Math.floor((length * 3) / 4))
  let word = 0
  let bits = 0
  let written = 0
  for (let index = 0; index < length; index++) {
    const code = text.charCodeAt(index)
    const value = code < 128 ? values[code] : -1
    if (value < 0) return null
    word = (word << 6) | value
    bits += 6
    if (bits >= 8) {
      bits -= 8
      bytes[written++] = (word >> bits) & 0xff
    }
  }
  // The bits left over must be zero: another text for the same bytes would be a second token.
  if ((word & ((1 << bits) - 1)) !== 0) return null
  return bytes
}

/** URL-safe base64 without padding, as JWS segments are written. */
export function encodeBase64url(bytes) {
  return encode(bytes, URL_SAFE, false)
}

/** The bytes of a JWS segment, or `null` when it is not canonical unpadded base64url. */
export function decodeBase64url(text) {
  return decode(text, URL_SAFE_VALUES, false)
}

/** Standard base64 with padding (Ruby's `strict_encode64`), as signed stream names are written. */
export function encodeBase64(bytes) {
  return encode(bytes, STANDARD, true)
}

/**
 * The bytes of signed stream data in any of the encodings Ruby SDKs write: standard or URL-safe,
 * with or without padding; `null` for none of them.
 */
export function decodeAnyBase64(text) {
  return (
    decode(text, STANDARD_VALUES, true) ??
    decode(text, STANDARD_VALUES, false) ??
    decode(text, URL_SAFE_VALUES, true) ??
    decode(text, URL_SAFE_VALUES, false)
  )
}
