// Generated inputs for comparing the Edge build with the native one: identifiers, ttl forms,
// stream names, and tokens the two JSON readers might see differently (signed, so each reaches
// the claims).
import { base64url, signedInput, SECRET } from './token-corpus.mjs'

/** A small deterministic PRNG (mulberry32), so a failure names a reproducible case. */
export function random(seed) {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pick = (next, items) => items[Math.floor(next() * items.length)]

// ASCII, control characters, quotes and backslashes, Latin-1, CJK, an astral pair, lone
// surrogates of both halves, U+2028, DEL, BOM, NUL.
const PIECES = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\u0001', '\u001f', '\u007f', 'é', 'ü', '中', '😀', '\ud800', '\udfff', '\u2028', '\ufeff', '\u0000', '--', '=', '+']

/** A string of 0 to `max` pieces. */
export function text(next, max = 12) {
  let result = ''
  const length = Math.floor(next() * (max + 1))
  for (let index = 0; index < length; index++) result += pick(next, PIECES)
  return result
}

/** Identifiers as an app passes them: strings, numbers, booleans, null, nested objects and arrays. */
export function identifiers(next) {
  const value = depth => {
    const kind = Math.floor(next() * (depth > 1 ? 4 : 6))
    if (kind === 0) return text(next)
    if (kind === 1) return Math.floor(next() * 1e6) - 5e5
    if (kind === 2) return next() < 0.5
    if (kind === 3) return next() < 0.5 ? null : next() * 1e3
    if (kind === 4) return Array.from({ length: Math.floor(next() * 3) }, () => value(depth + 1))
    return object(depth + 1)
  }
  const object = depth => Object.fromEntries(Array.from({ length: Math.floor(next() * 4) }, () => [text(next, 4), value(depth)]))
  return object(0)
}

/** Every ttl form the native build takes, and forms it refuses. */
export const TTLS = [
  1, 30, 90.9, 3600, 86400, 1e9, 1e9 + 1, 0, -5, 0.5, 0.999, -0, 1e-7, NaN, Infinity, -Infinity, 1.7e9, 1e21, 1e300,
  '30s', '15m', '15 min', '1h', '1.5 hours', '2 days', '1w', '1y', '3 Weeks', '2 weeks', '90 sec', '10 secs', '1 second',
  '5 minutes', '1 mins', '1 minute', '2 hr', '3 hrs', '1 hour', '1 day', '1 yr', '2 yrs', '1 year', '2 years', '0.5s', '1.4s',
  '1.5s', '007s', '31.7 years', '32 years', '1000000000s', '1000000001s', ' 1h ', '\t2d\n', '1 H', '1HOURS', '\u00a01h\u3000', '\ufeff1h',
  '', 'h', '1', '10 parsecs', '-1h', '1h ago', '.5h', '5.h', '1..5h', '1.5.5h', '0s', '1  h', '1e3s', '+1h', '1 h ', '١h', '1\u00a0h', '1ſ', '1 ha\u0301', '\u0301', 'x\u200by', '\ud800h', '\u{e0001}', '1\u0000s', '"1h"', '\\1h',
]

/** Names for signed streams. */
export function streamName(next) {
  return text(next, 20)
}

/** A claims or header JSON text with one edit at a random place: a character or fragment that a
 * strict reader might see differently from JSON.parse. */
const FRAGMENTS = ['"', '\\', '\\u', '\\ud800', '\\udc00', '\\ud83d\\ude00', '\\u0065', '{', '}', '[', ']', ',', ':', ' ', '\ufeff', '0', '-', 'e', '1e400', '.5', 'null', 'true', '"ext":"{}",', '"exp":1,', '"iat":"x",', '"nbf":null,', 'é', '\u0001']

export function mutated(next, json) {
  const at = Math.floor(next() * (json.length + 1))
  const cut = next() < 0.5 ? 0 : 1
  return json.slice(0, at) + pick(next, FRAGMENTS) + json.slice(at + cut)
}

/** A token over a raw header and claims text, HS256-signed with SECRET. */
export function signedRaw(headerText, claimsText, { secret = SECRET, hash = 'sha256' } = {}) {
  return signedInput(`${base64url(headerText)}.${base64url(claimsText)}`, { secret, hash })
}

/**
 * Tokens on the edges of the two readers, by kind; `at` is the current second. Each is signed,
 * so the header and claims rules are what decides.
 */
export function readerCorpus(at) {
  const claims = `{"ext":"{\\"id\\":1}","iat":${at - 5},"exp":${at + 600}}`
  const header = '{"alg":"HS256"}'
  const withHeader = text => signedRaw(text, claims)
  const withClaims = text => signedRaw(header, text)
  const nested = (open, close, depth) => open.repeat(depth) + close.repeat(depth)
  const canonical = base64url('{"alg":"HS256","x":12}')
  const nonCanonical = canonical.slice(0, -1) + String.fromCharCode(canonical.charCodeAt(canonical.length - 1) + 1)
  const validPayload = base64url(claims)
  return {
    'header with typ': withHeader('{"alg":"HS256","typ":"JWT"}'),
    'header typ first': withHeader('{"typ":"JWT","alg":"HS256"}'),
    'header base64 with non-zero trailing bits': signedInput(`${nonCanonical}.${validPayload}`),
    'header padded': signedInput(`${base64url(header)}=.${validPayload}`),
    'header in base64 (not url) alphabet': signedInput(`${Buffer.from('{"alg":"HS256","x":"??>"}').toString('base64').replace(/=+$/, '')}.${validPayload}`),
    'header with whitespace': withHeader(' {"alg" : "HS256"}\n'),
    'header with a BOM': withHeader('\ufeff{"alg":"HS256"}'),
    'header not UTF-8': signedInput(`${Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]).toString('base64url')}.${validPayload}`),
    'alg escaped': withHeader('{"alg":"HS\\u0032\\u00356"}'),
    'alg key escaped': withHeader('{"\\u0061lg":"HS256"}'),
    'alg null': withHeader('{"alg":null}'),
    'alg true': withHeader('{"alg":true}'),
    'alg twice': withHeader('{"alg":"HS256","alg":"HS256"}'),
    'crit twice': withHeader('{"alg":"HS256","crit":["b64"],"crit":["b64"],"b64":true}'),
    'other member twice': withHeader('{"alg":"HS256","x":1,"x":2}'),
    'lone surrogate in a header key': withHeader('{"alg":"HS256","\\ud800":1}'),
    'lone surrogate in an unread header value': withHeader('{"alg":"HS256","x":"\\ud800"}'),
    'lone surrogate in crit': withHeader('{"alg":"HS256","crit":["x","\\ud800"]}'),
    'lone surrogate in b64 without crit': withHeader('{"alg":"HS256","b64":{"\\udc00":1}}'),
    'number beyond f64 in an unread header value': withHeader('{"alg":"HS256","x":1e400}'),
    'number beyond f64 in b64': withHeader('{"alg":"HS256","b64":1e400}'),
    'b64 126 deep': withHeader(`{"alg":"HS256","b64":${nested('[', ']', 126)}}`),
    'b64 127 deep': withHeader(`{"alg":"HS256","b64":${nested('[', ']', 127)}}`),
    'unread header value 300 deep': withHeader(`{"alg":"HS256","x":${nested('[', ']', 300)}}`),
    'crit b64 with b64 false': withHeader('{"alg":"HS256","crit":["b64"],"b64":false}'),
    'alg none': withHeader('{"alg":"none"}'),
    'alg RS256': withHeader('{"alg":"RS256"}'),
    'ext with a lone surrogate escape': withClaims(`{"ext":"\\ud800","exp":${at + 600},"iat":${at}}`),
    'ext with a surrogate pair escape': withClaims(`{"ext":"{\\"a\\":\\"\\ud83d\\ude00\\"}","exp":${at + 600},"iat":${at}}`),
    'lone surrogate in an unread claim': withClaims(`{"ext":"{}","x":"\\ud800","iat":${at}}`),
    'lone surrogate in a claim name': withClaims(`{"ext":"{}","\\udc00":1,"iat":${at}}`),
    'exp beyond f64': withClaims(`{"ext":"{}","exp":1e400,"iat":${at}}`),
    'exp a string with a lone surrogate': withClaims(`{"ext":"{}","exp":"\\ud800","iat":${at}}`),
    'exp a fraction ahead': withClaims(`{"ext":"{}","exp":${at + 0.5},"iat":${at}}`),
    'exp huge': withClaims(`{"ext":"{}","exp":1e20,"iat":${at}}`),
    'exp negative zero': withClaims(`{"ext":"{}","exp":-0,"iat":${at}}`),
    'iat a fraction ago': withClaims(`{"ext":"{}","iat":${at - 0.5}}`),
    'ext a number beyond f64': withClaims(`{"ext":1e400,"iat":${at}}`),
    'number beyond f64 in an unread claim': withClaims(`{"ext":"{}","y":1e400,"iat":${at}}`),
    'ext twice': withClaims(`{"ext":"{}","ext":"{}","iat":${at}}`),
    'ext twice, once escaped': withClaims(`{"ext":"{}","\\u0065xt":"{}","iat":${at}}`),
    'iat twice': withClaims(`{"ext":"{}","iat":${at},"iat":${at}}`),
    'other claim twice': withClaims(`{"ext":"{}","y":1,"y":2,"iat":${at}}`),
    'unread claim 1000 deep': withClaims(`{"ext":"{}","y":${nested('[', ']', 1000)},"iat":${at}}`),
    'claims with a BOM': withClaims(`\ufeff{"ext":"{}","iat":${at}}`),
    'claims not UTF-8': signedInput(`${base64url(header)}.${Buffer.from([0x7b, 0x22, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0xc3, 0x22, 0x7d]).toString('base64url')}`),
    'claims with trailing text': withClaims(`{"ext":"{}","iat":${at}} x`),
    'claims base64 with non-zero trailing bits': (() => {
      const payload = base64url(`{"ext":"{}","iat":${at}, }`.replace(', ', ''))
      const bad = payload.length % 4 === 1 ? payload : payload.slice(0, -1) + String.fromCharCode(payload.charCodeAt(payload.length - 1) | 1)
      return signedInput(`${base64url(header)}.${bad}`)
    })(),
    'payload length 1 mod 4': signedInput(`${base64url(header)}.${validPayload.slice(0, 4 * Math.floor(validPayload.length / 4))}A`),
    'token over 8 KiB': withClaims(`{"ext":"${'x'.repeat(8200)}","iat":${at}}`),
    'token of 8 KiB in UTF-16 units but more in UTF-8': signedInput(`${base64url(header)}.${validPayload}`) + 'é'.repeat(4000),
    'non-ASCII signature': signedInput(`${base64url(header)}.${validPayload}`).slice(0, -1) + 'é',
    'lone surrogate in the token': `${base64url(header)}.${validPayload}.\ud800`,
    'signature too long': `${signedInput(`${base64url(header)}.${validPayload}`)}${'A'.repeat(90)}`,
    'three dots': `${base64url(header)}..${validPayload}.x`,
    'valid HS512': signedRaw('{"alg":"HS512"}', claims, { hash: 'sha512' }),
  }
}
