// UTF-8 and JSON text as the native core sees it: JS strings reach Rust with each unpaired
// surrogate replaced by U+FFFD, and Rust's JSON readers refuse a `\u` escape of one.

const encoder = new TextEncoder()
// Fatal: bytes that are not UTF-8 make the JSON invalid, as in Rust; ignoreBOM keeps a leading
// BOM, which JSON does not allow.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** The UTF-8 bytes of `text`, each unpaired surrogate as U+FFFD (as the native binding reads strings). */
export function utf8(text) {
  return encoder.encode(text)
}

/** The text of UTF-8 `bytes`, or `null` when they are not UTF-8. */
export function utf8Text(bytes) {
  try {
    return decoder.decode(bytes)
  } catch {
    return null
  }
}

/** `text` with each unpaired surrogate replaced by U+FFFD, as it reaches the native core. */
export function wellFormed(text) {
  return isWellFormed(text) ? text : decoder.decode(encoder.encode(text))
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Whether `text` has no unpaired surrogate (one can only come from a `\u` escape). */
export function isWellFormed(text) {
  return !LONE_SURROGATE.test(text)
}

/** The JSON value of `text`, or `undefined` when it is not JSON. */
export function parseJson(text) {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
