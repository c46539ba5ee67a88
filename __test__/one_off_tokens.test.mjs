// generateToken(ids, { secret }) / verifyToken(token, { secret }): the one-off helpers reuse a few
// cached identificators and call the native core directly for any other configuration, so no
// call leaves a native object behind until the event loop turns. Every test runs in this file's
// own process, so the cache starts empty: the first four configurations used here are cached.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateToken, verifyToken, TokenError } from '../index.mjs'

const decode = token => {
  const [header, claims] = token.split('.').slice(0, 2).map(part => JSON.parse(Buffer.from(part, 'base64url').toString()))
  return { header, claims }
}
const unauthorized = error => error instanceof TokenError && error.reason === 'unauthorized'

test('cached and uncached configurations: each token verifies with its own secret only', () => {
  // More configurations than the cache holds, so both paths are exercised; secrets that contain
  // one another and the cache key's separators must not share an entry.
  const secrets = ['A', 'B', 'AB', 'A B', 'B 3600', 'secret\nwith\nnewlines', 'Zoë 😀']
  const configurations = []
  for (const secret of secrets) {
    for (const [ttl, algorithm] of [[3600, undefined], [60, 'HS384'], ['2h', 'HS512'], [120, 'HS256']]) {
      configurations.push({ secret, ttl, algorithm })
    }
  }
  for (let round = 0; round < 2; round++) {
    for (const [i, { secret, ttl, algorithm }] of configurations.entries()) {
      const token = generateToken({ i }, { secret, ttl, algorithm })
      const { header, claims } = decode(token)
      assert.equal(header.alg, algorithm ?? 'HS256')
      assert.equal(claims.exp - claims.iat, typeof ttl === 'number' ? ttl : 7200)
      assert.deepEqual(verifyToken(token, { secret }), { i })
      for (const other of secrets.filter(s => s !== secret)) {
        assert.throws(() => verifyToken(token, { secret: other }), unauthorized, `${secret} verified with ${other}`)
      }
    }
  }
})

test('an invalid ttl or algorithm is a TypeError even when its text resembles a cached entry', () => {
  generateToken({}, { secret: 'x\nfoo', ttl: '1h' })
  assert.throws(() => generateToken({}, { secret: 'foo', ttl: '1h\nx' }), TypeError)
  assert.throws(() => generateToken({}, { secret: 'foo', ttl: '1h', algorithm: 'undefined' }), TypeError)
  assert.throws(() => generateToken({}, { secret: 'foo', ttl: 1.7e9 }), TypeError)
  assert.throws(() => generateToken({}, { secret: 'foo', ttl: null }), TypeError)
  assert.throws(() => verifyToken('a.b.c', { secret: 42 }), TypeError)
})

test('200,000 calls of each in one synchronous loop leave no memory waiting for the event loop', () => {
  // Every native object made per call was freed only after the event loop turned: ~1.5 KiB each,
  // ~600 MiB for these calls. Half use one secret (cached), half rotate through eight (mostly uncached).
  const secrets = Array.from({ length: 8 }, (_, i) => `rotating-secret-${i}`)
  const tokens = secrets.map(secret => generateToken({ user_id: 1 }, { secret }))
  const before = process.memoryUsage().rss
  for (let i = 0; i < 100_000; i++) {
    verifyToken(generateToken({ user_id: i }, { secret: 'one-secret' }), { secret: 'one-secret' })
    const k = i % secrets.length
    generateToken({ user_id: i }, { secret: secrets[k] })
    verifyToken(tokens[k], { secret: secrets[k] })
  }
  const growth = (process.memoryUsage().rss - before) / 2 ** 20
  assert.ok(growth < 64, `RSS grew by ${growth.toFixed(1)} MiB`)
})
