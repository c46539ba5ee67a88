// Tokens signed with node:crypto over any header and claims, and a corpus of bad tokens by kind,
// shared by the serverless-js comparison and the Edge build's parity test.
import { createHmac } from 'node:crypto'

export const SECRET = 'serverless-secret'
export const now = () => Math.floor(Date.now() / 1000)
export const base64url = text => Buffer.from(text).toString('base64url')

/**
 * A token signed here with node:crypto over any header and claims; each may be a value (JSON
 * encoded) or raw text, and `hash` is the HMAC hash (sha256 for HS256).
 */
export function signed(header, claims, { secret = SECRET, hash = 'sha256' } = {}) {
  const text = part => (typeof part === 'string' ? part : JSON.stringify(part))
  return signedInput(`${base64url(text(header))}.${base64url(text(claims))}`, { secret, hash })
}

/** `input` (the header and payload segments as they are) with its signature appended. */
export function signedInput(input, { secret = SECRET, hash = 'sha256' } = {}) {
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`
}

export const hs256 = claims => signed({ alg: 'HS256' }, claims)

/** Bad tokens by kind; `at` is the current second. */
export function corpus(at) {
  const valid = hs256({ ext: '{"user_id":1}', iat: at })
  const [header, payload] = valid.split('.')
  return {
    empty: '',
    'no dots': 'garbage',
    'two segments': 'a.b',
    'four segments': `${valid}.x`,
    'header not base64url JSON': 'a.b.c',
    'header not JSON': signed('nope', { ext: '{}', iat: at }),
    'header an array': signed([], { ext: '{}', iat: at }),
    'header null': signed(null, { ext: '{}', iat: at }),
    'no alg': signed({ typ: 'JWT' }, { ext: '{}', iat: at }),
    'alg empty': signed({ alg: '' }, { ext: '{}', iat: at }),
    'alg a number': signed({ alg: 256 }, { ext: '{}', iat: at }),
    'alg HS1024': signed({ alg: 'HS1024' }, { ext: '{}', iat: at }),
    'crit naming an unknown extension': signed({ alg: 'HS256', crit: ['exp'] }, { ext: '{}', iat: at }),
    'crit unknown, wrong secret': signed({ alg: 'HS256', crit: ['x'] }, { ext: '{}', iat: at }, { secret: 'other' }),
    'crit unknown, no alg': signed({ crit: ['x'] }, { ext: '{}', iat: at }),
    'crit empty': signed({ alg: 'HS256', crit: [] }, { ext: '{}', iat: at }),
    'crit null': signed({ alg: 'HS256', crit: null }, { ext: '{}', iat: at }),
    'crit not an array': signed({ alg: 'HS256', crit: 'b64' }, { ext: '{}', iat: at }),
    'crit with an empty name': signed({ alg: 'HS256', crit: [''] }, { ext: '{}', iat: at }),
    'crit b64 with b64 true': signed({ alg: 'HS256', crit: ['b64'], b64: true }, { ext: '{}', iat: at }),
    'crit b64 without b64': signed({ alg: 'HS256', crit: ['b64'] }, { ext: '{}', iat: at }),
    'crit b64 then unknown, without b64': signed({ alg: 'HS256', crit: ['b64', 'x'] }, { ext: '{}', iat: at }),
    'crit b64 with b64 a string': signed({ alg: 'HS256', crit: ['b64'], b64: 'yes' }, { ext: '{}', iat: at }),
    'b64 a string without crit': signed({ alg: 'HS256', b64: 'yes' }, { ext: '{}', iat: at }),
    'alg HS384': signed({ alg: 'HS384' }, { ext: '{}', iat: at }, { hash: 'sha384' }),
    'alg HS512': signed({ alg: 'HS512' }, { ext: '{}', iat: at }, { hash: 'sha512' }),
    'wrong secret': signed({ alg: 'HS256' }, { ext: '{}', iat: at }, { secret: 'other' }),
    'signature not base64url': `${header}.${payload}.!!!`,
    'signature empty': `${header}.${payload}.`,
    'payload swapped': `${header}.${base64url('{"ext":"{\\"user_id\\":2}"}')}.${valid.split('.')[2]}`,
    'payload not base64url': signedInput(`${header}.!!!`),
    'payload not JSON': hs256('nope'),
    'payload empty': hs256(''),
    'payload an array': hs256([{ ext: '{}' }]),
    'payload null': hs256(null),
    'payload a string': hs256('"ext"'),
    'nbf in the future': hs256({ ext: '{}', iat: at, nbf: at + 60 }),
    'nbf not a number': hs256({ ext: '{}', iat: at, nbf: String(at) }),
    'exp past': hs256({ ext: '{}', iat: at - 10, exp: at - 1 }),
    'exp now': hs256({ ext: '{}', iat: at, exp: at }),
    'exp not a number': hs256({ ext: '{}', iat: at, exp: String(at + 60) }),
    'exp null': hs256({ ext: '{}', iat: at, exp: null }),
    'exp past and nbf future': hs256({ ext: '{}', iat: at, exp: at - 1, nbf: at + 60 }),
    'iat missing': hs256({ ext: '{}', exp: at + 60 }),
    'iat not a number': hs256({ ext: '{}', iat: String(at) }),
    'iat null': hs256({ ext: '{}', iat: null }),
    'iat older than the ttl': hs256({ ext: '{}', iat: at - 3601 }),
    'iat exactly the ttl ago': hs256({ ext: '{}', iat: at - 3600 }),
    'iat in the future': hs256({ ext: '{}', iat: at + 30 }),
    'iat too old and exp past': hs256({ ext: '{}', iat: at - 7200, exp: at - 1 }),
    'ext missing': hs256({ iat: at }),
    'ext a number': hs256({ ext: 42, iat: at }),
    'ext an object': hs256({ ext: { user_id: 1 }, iat: at }),
    'ext JSON null': hs256({ ext: 'null', iat: at }),
    'ext JSON not an object': hs256({ ext: '[1,"a"]', iat: at }),
    valid,
  }
}
