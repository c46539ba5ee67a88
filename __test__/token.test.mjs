import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { createHmac } from 'node:crypto'
import * as esm from '../index.mjs'

const require = createRequire(import.meta.url)
const cjs = require('../index.js')
const { identificator, generateToken, verifyToken, TokenError } = esm

const SECRET = 's3cr3t'
const now = () => Math.floor(Date.now() / 1000)

/** Header and claims of a token, decoded independently of the package. */
function decode(token) {
  const [header, claims] = token.split('.').slice(0, 2).map(part => JSON.parse(Buffer.from(part, 'base64url').toString()))
  return { header, claims }
}

/** A token with any claims, HS256-signed here with node:crypto (an independent signer). */
function handMade(claims, { secret = SECRET, header = { alg: 'HS256' } } = {}) {
  const signed = [header, claims].map(part => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.')
  return `${signed}.${createHmac('sha256', secret).update(signed).digest('base64url')}`
}

async function rejectsWith(promise, reason) {
  await assert.rejects(promise, error => error instanceof TokenError && error.reason === reason)
}

function throwsWith(fn, reason, message) {
  assert.throws(fn, error => {
    assert.ok(error instanceof TokenError, `expected TokenError, got ${error}`)
    assert.ok(error instanceof Error)
    assert.equal(error.name, 'TokenError')
    assert.equal(error.reason, reason)
    if (message) assert.match(error.message, message)
    return true
  })
}

describe('module', () => {
  test('require and import expose the same API', () => {
    for (const name of ['identificator', 'generateToken', 'verifyToken', 'TokenError', 'signStream', 'verifyStream', 'broadcastKey']) {
      assert.equal(typeof cjs[name], 'function', name)
      assert.equal(esm[name], cjs[name], name)
    }
    assert.equal(esm.default, cjs)
  })
})

describe('identificator', () => {
  const ids = { user_id: 42, name: 'Ann ✓', roles: ['admin'], nested: { a: null } }

  test('generateToken makes an HS256 token with ext, iat and exp = iat + ttl', async () => {
    const token = await identificator(SECRET, 3600).generateToken(ids)
    const { header, claims } = decode(token)
    assert.equal(header.alg, 'HS256')
    assert.equal(claims.ext, JSON.stringify(ids))
    assert.ok(Math.abs(claims.iat - now()) <= 1)
    assert.equal(claims.exp, claims.iat + 3600)
  })

  test('a numeric ttl is seconds, a string ttl is a span', () => {
    for (const [ttl, seconds] of [[60, 60], ['30s', 30], ['15m', 900], ['1h', 3600], ['2 days', 172800], ['1w', 604800], ['1y', 31557600]]) {
      const { claims } = decode(identificator(SECRET, ttl).generateTokenSync(ids))
      assert.equal(claims.exp - claims.iat, seconds, String(ttl))
      assert.equal(identificator(SECRET, ttl).ttl, seconds)
    }
  })

  test('verifyToken and verifyAndFetch resolve the identifiers, sync variants return them', async () => {
    const idf = identificator(SECRET, '1h')
    const token = idf.generateTokenSync(ids)
    assert.deepEqual(await idf.verifyToken(token), ids)
    assert.deepEqual(await idf.verifyAndFetch(token), ids)
    assert.deepEqual(idf.verifyTokenSync(token), ids)
    assert.equal(await idf.verify(token), true)
  })

  test('verifyToken resolves null for every bad token, verify and verifyAndFetch reject with TokenError', async () => {
    const idf = identificator(SECRET, '1h')
    const expired = handMade({ ext: '{"user_id":1}', iat: now() - 10, exp: now() - 1 })
    const forged = handMade({ ext: '{"user_id":1}', iat: now() }, { secret: 'other' })
    for (const token of [expired, forged, '', 'garbage', 'a.b.c']) {
      assert.equal(await idf.verifyToken(token), null, token)
    }
    for (const verify of [idf.verify, idf.verifyAndFetch]) {
      await rejectsWith(verify(expired), 'token_expired')
      await rejectsWith(verify(forged), 'unauthorized')
      await rejectsWith(verify('garbage'), 'unauthorized')
    }
  })

  test('verifyTokenSync throws TokenError with the wire reason and a message saying why', () => {
    const idf = identificator(SECRET, '1h')
    throwsWith(() => idf.verifyTokenSync(handMade({ ext: '{}', exp: now() - 5 })), 'token_expired', /expired/)
    throwsWith(() => idf.verifyTokenSync(handMade({ ext: '{}' }, { secret: 'x' })), 'unauthorized', /signature/)
    throwsWith(() => idf.verifyTokenSync('not a token'), 'unauthorized', /malformed/)
    throwsWith(() => idf.verifyTokenSync(handMade({ exp: now() + 60 })), 'unauthorized', /no ext/)
    throwsWith(() => idf.verifyTokenSync(handMade({ ext: { user_id: 1 } })), 'unauthorized', /not a string/)
    throwsWith(() => idf.verifyTokenSync(handMade({ ext: '{}', nbf: now() + 60 })), 'unauthorized', /not valid yet/)
    throwsWith(() => idf.verifyTokenSync(handMade({ ext: '{}' }, { header: { alg: 'none' } })), 'unauthorized', /algorithm/)
  })

  test('exp equal to now is expired; expiry is only reported for a valid signature', () => {
    const idf = identificator(SECRET, '1h')
    throwsWith(() => idf.verifyTokenSync(handMade({ ext: '{}', exp: now() })), 'token_expired')
    throwsWith(() => idf.verifyTokenSync(handMade({ ext: '{}', exp: now() - 5 }, { secret: 'x' })), 'unauthorized')
    assert.deepEqual(idf.verifyTokenSync(handMade({ ext: '{"a":1}', exp: now() + 5 })), { a: 1 })
  })

  test('tokens over 8 KiB are unauthorized', () => {
    const idf = identificator(SECRET, '1h')
    // Signed here: generateToken refuses to make such a token.
    const big = handMade({ ext: JSON.stringify({ pad: 'x'.repeat(8 * 1024) }), exp: now() + 60 })
    throwsWith(() => idf.verifyTokenSync(big), 'unauthorized', /8 KiB/)
    throwsWith(() => idf.verifyTokenSync('a'.repeat(1 << 20)), 'unauthorized', /8 KiB/)
  })

  test('tokens of any length up to 8 KiB verify, with identifiers outside ASCII', () => {
    const idf = identificator(SECRET, '1h')
    const lengths = new Set()
    // Every token length around 1 KiB (where reading moves off the stack) and some longer ones.
    for (const pad of [...Array(40).keys()].map(i => 620 + i).concat([3000, 5900])) {
      const identifiers = { name: 'Zoë 😀', pad: 'x'.repeat(pad) }
      const token = idf.generateTokenSync(identifiers)
      assert.ok(token.length <= 8192)
      lengths.add(token.length)
      assert.deepEqual(idf.verifyTokenSync(token), identifiers)
    }
    for (const boundary of [1021, 1023, 1024]) assert.ok(lengths.has(boundary), `no token of ${boundary} bytes`)
  })

  test('non-ASCII garbage in a token is unauthorized, not a crash', () => {
    const idf = identificator(SECRET, '1h')
    const token = idf.generateTokenSync(ids)
    throwsWith(() => idf.verifyTokenSync(token.replace(/.$/, 'Ł')), 'unauthorized')
    throwsWith(() => idf.verifyTokenSync('\ud800.\udfff.\u0000'), 'unauthorized')
  })

  test('bad arguments are TypeErrors at the call', async () => {
    for (const secret of ['', undefined, null, 42, Buffer.from('x')]) {
      assert.throws(() => identificator(secret, 60), TypeError, String(secret))
    }
    for (const ttl of [0, -1, NaN, Infinity, '', 'soon', '1 parsec', '-1h', null, undefined, {}, 1.7e9]) {
      assert.throws(() => identificator(SECRET, ttl), TypeError, String(ttl))
    }
    const idf = identificator(SECRET, 60)
    for (const token of [undefined, null, 42, {}, Buffer.from('x')]) {
      assert.throws(() => idf.verifyTokenSync(token), TypeError)
      await assert.rejects(idf.verifyToken(token), TypeError)
      await assert.rejects(idf.verify(token), TypeError)
    }
    for (const identifiers of [null, undefined, 'user', 42, [1, 2], new Date(), new Map()]) {
      assert.throws(() => idf.generateTokenSync(identifiers), TypeError, String(identifiers))
      await assert.rejects(idf.generateToken(identifiers), TypeError)
    }
    const cyclic = {}
    cyclic.self = cyclic
    assert.throws(() => idf.generateTokenSync(cyclic), TypeError)
    assert.throws(() => idf.generateTokenSync({ n: 10n }), TypeError)
  })

  test('the Promise API does not wait on a thread pool: many calls complete in one tick', async () => {
    const idf = identificator(SECRET, 60)
    const tokens = await Promise.all(Array.from({ length: 100 }, (_, i) => idf.generateToken({ i })))
    const verified = await Promise.all(tokens.map(token => idf.verifyToken(token)))
    assert.deepEqual(verified.map(v => v.i), Array.from({ length: 100 }, (_, i) => i))
  })
})

describe('generateToken / verifyToken helpers', () => {
  test('round-trip with a default ttl of one hour', () => {
    const token = generateToken({ user_id: 7 }, { secret: SECRET })
    const { claims } = decode(token)
    assert.equal(claims.exp - claims.iat, 3600)
    assert.deepEqual(verifyToken(token, { secret: SECRET }), { user_id: 7 })
  })

  test('ttl, expiresAt as seconds or Date, and algorithms', () => {
    assert.equal(decode(generateToken({}, { secret: SECRET, ttl: '15m' })).claims.exp - now(), 900)
    const at = now() + 120
    assert.equal(decode(generateToken({}, { secret: SECRET, expiresAt: at })).claims.exp, at)
    assert.equal(decode(generateToken({}, { secret: SECRET, expiresAt: new Date(at * 1000 + 500) })).claims.exp, at)
    for (const algorithm of ['HS256', 'HS384', 'HS512']) {
      const token = generateToken({ a: algorithm }, { secret: SECRET, algorithm })
      assert.equal(decode(token).header.alg, algorithm)
      assert.deepEqual(verifyToken(token, { secret: SECRET }), { a: algorithm })
    }
  })

  test('an expiresAt in the past makes an expired token', () => {
    const token = generateToken({}, { secret: SECRET, expiresAt: now() - 1 })
    throwsWith(() => verifyToken(token, { secret: SECRET }), 'token_expired')
  })

  test('bad options are TypeErrors', () => {
    assert.throws(() => generateToken({}, undefined), TypeError)
    assert.throws(() => generateToken({}, { secret: '' }), TypeError)
    assert.throws(() => generateToken({}, { secret: SECRET, algorithm: 'RS256' }), TypeError)
    assert.throws(() => generateToken({}, { secret: SECRET, algorithm: 'none' }), TypeError)
    assert.throws(() => generateToken({}, { secret: SECRET, expiresAt: 'tomorrow' }), TypeError)
    assert.throws(() => generateToken({}, { secret: SECRET, expiresAt: NaN }), TypeError)
    assert.throws(() => verifyToken('x.y.z', {}), TypeError)
    assert.throws(() => verifyToken(undefined, { secret: SECRET }), TypeError)
  })
})

describe('the verify contract', () => {
  const notJson = () => handMade({ ext: '{user_id: 42', iat: now(), exp: now() + 60 })

  test('a validly signed token whose ext is not JSON is unauthorized, never a SyntaxError', async () => {
    const idf = identificator(SECRET, 60)
    throwsWith(() => idf.verifyTokenSync(notJson()), 'unauthorized', /ext claim is not JSON/)
    await rejectsWith(idf.verifyAndFetch(notJson()), 'unauthorized')
    throwsWith(() => verifyToken(notJson(), { secret: SECRET }), 'unauthorized', /ext claim is not JSON/)
    assert.equal(await idf.verifyToken(notJson()), null)
    // verify, like serverless-js's, does not read ext.
    assert.equal(await idf.verify(notJson()), true)
  })

  test('an ext of JSON that is not an object is returned as parsed, as serverless-js does', async () => {
    const idf = identificator(SECRET, 60)
    for (const [ext, value] of [['42', 42], ['[1,"a"]', [1, 'a']], ['"s"', 's'], ['null', null]]) {
      const token = handMade({ ext, exp: now() + 60 })
      assert.deepEqual(idf.verifyTokenSync(token), value)
      assert.deepEqual(await idf.verifyToken(token), value)
      assert.deepEqual(verifyToken(token, { secret: SECRET }), value)
    }
  })

  test('identifiers whose toJSON gives no JSON object are TypeErrors', async () => {
    const idf = identificator(SECRET, 60)
    for (const toJSON of [() => undefined, () => 42, () => 'user', () => [1]]) {
      const identifiers = { user_id: 1, toJSON }
      assert.throws(() => idf.generateTokenSync(identifiers), TypeError, String(toJSON))
      await assert.rejects(idf.generateToken(identifiers), TypeError)
      assert.throws(() => generateToken(identifiers, { secret: SECRET }), /identifiers must serialize to a JSON object/)
    }
    assert.deepEqual(idf.verifyTokenSync(idf.generateTokenSync({ toJSON: () => ({ id: 7 }) })), { id: 7 })
  })

  test('option names are own names: __proto__ is an unknown option, inherited values are not options', () => {
    const withProto = JSON.parse(`{"secret": "${SECRET}", "__proto__": {"ttl": 1}}`)
    for (const call of [() => generateToken({}, withProto), () => verifyToken('a.b.c', withProto)]) {
      assert.throws(call, error => error instanceof TypeError && error.message.startsWith('unknown token option "__proto__"'))
    }
    assert.throws(() => generateToken({}, { secret: SECRET, tll: 60 }), /unknown token option "tll"/)
    Object.prototype.expiresAt = 1
    try {
      assert.equal(decode(generateToken({}, { secret: SECRET })).claims.exp - now() >= 3599, true)
    } finally {
      delete Object.prototype.expiresAt
    }
  })
})

describe('what a token may be at generation', () => {
  const idf = identificator(SECRET, 60)
  const generators = {
    generateTokenSync: (ids, options) => idf.generateTokenSync(ids, options),
    'generateToken(ids, { secret })': (ids, options) => generateToken(ids, { secret: SECRET, ...options }),
  }

  test('expiresAt must be finite, from 0 to now + the longest ttl (~31 years)', () => {
    const longest = 1e9
    for (const expiresAt of [1e300, Infinity, -Infinity, -1, now() + longest + 100, new Date(NaN), new Date(8.64e15)]) {
      assert.throws(
        () => generateToken({}, { secret: SECRET, expiresAt }),
        error => error instanceof TypeError && /expiresAt must be/.test(error.message),
        String(expiresAt),
      )
    }
    const far = now() + longest - 100
    assert.equal(decode(generateToken({}, { secret: SECRET, expiresAt: far })).claims.exp, far)
    assert.equal(decode(generateToken({}, { secret: SECRET, expiresAt: 0 })).claims.exp, 0)
  })

  test('a token longer than the 8 KiB every verifier accepts is a TypeError, not a token', async () => {
    const padded = length => ({ pad: 'x'.repeat(length) })
    for (const [name, generate] of Object.entries(generators)) {
      // Grow the identifiers a byte at a time: the longest token made must verify, the next must be refused.
      let longest
      let longestPad
      let refusal
      for (let length = 5950; length < 6200 && !refusal; length++) {
        try {
          longest = generate(padded(length))
          longestPad = length
        } catch (error) {
          refusal = error
        }
      }
      assert.ok(refusal instanceof TypeError, `${name}: ${refusal ?? 'an over-long token was generated'}`)
      assert.match(refusal.message, /over the 8192-byte limit/)
      assert.ok(longest.length <= 8192 && longest.length > 8188, `${name}: ${longest.length}`)
      assert.deepEqual(verifyToken(longest, { secret: SECRET }), padded(longestPad))
    }
    await assert.rejects(idf.generateToken(padded(7000)), /over the 8192-byte limit/)
  })
})
