// identificator() against @anycable/serverless-js 0.1.0 itself (jose 4.15.9 underneath): the same
// tokens byte for byte, the same verdicts and jose's error codes for a corpus of bad tokens, and
// each case of serverless-js's own tests/jwt.test.ts in this project's words. Deliberate
// differences (README, "Deliberate differences from serverless-js") are asserted as such.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { SECRET, now, base64url, signed, hs256, corpus } from './support/token-corpus.mjs'
import { identificator as serverlessIdentificator } from './support/serverless-js.mjs'
import { identificator, verifyToken, TokenError } from '../index.mjs'

/** How a promise settles: `{ value }` or `{ error }`. */
async function settle(promise) {
  try {
    return { value: await promise }
  } catch (error) {
    return { error }
  }
}

/** The wire reason that goes with jose's code. */
const reasonFor = code => (code === 'ERR_JWT_EXPIRED' ? 'token_expired' : 'unauthorized')

describe('a corpus of tokens through serverless-js and this package', () => {
  const theirs = serverlessIdentificator(SECRET, '1h')
  const ours = identificator(SECRET, '1h')

  for (const method of ['verify', 'verifyAndFetch']) {
    test(`${method}: the same verdict, and for a refusal jose's code with the matching wire reason`, async () => {
      // A token's verdict can depend on the second (iat, exp): retry a case that straddles one.
      for (const [kind] of Object.entries(corpus(now()))) {
        for (let attempt = 0; ; attempt++) {
          const at = now()
          const token = corpus(at)[kind]
          const [expected, actual] = [await settle(theirs[method](token)), await settle(ours[method](token))]
          if (now() !== at && attempt < 3) continue
          if (expected.error) {
            assert.ok(actual.error instanceof TokenError, `${kind}: expected a TokenError, got ${actual.error ?? JSON.stringify(actual.value)}`)
            assert.equal(actual.error.code, expected.error.code, `${kind}: ${actual.error.message} / jose: ${expected.error.message}`)
            assert.equal(actual.error.reason, reasonFor(expected.error.code), kind)
          } else {
            assert.equal(actual.error, undefined, `${kind}: jose accepts, this package refused: ${actual.error?.message}`)
            assert.deepEqual(actual.value, expected.value, kind)
          }
          break
        }
      }
    })
  }

  test('the corpus covers every code jose gives for these methods', async () => {
    const codes = new Set()
    for (const token of Object.values(corpus(now()))) {
      for (const method of ['verify', 'verifyAndFetch']) {
        const { error } = await settle(ours[method](token))
        if (error) codes.add(error.code)
      }
    }
    const expected = ['ERR_JWS_INVALID', 'ERR_JOSE_ALG_NOT_ALLOWED', 'ERR_JOSE_NOT_SUPPORTED', 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'ERR_JWT_INVALID', 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'ERR_JWT_EXPIRED']
    assert.deepEqual([...codes].sort(), expected.sort())
  })
})

test('verify accepts a token issued this second by another clock, across second boundaries', async () => {
  // jose reads Date.now(); a verifier on a clock that lags by a scheduler tick would call a token
  // issued in the second that just began "issued in the future" for a few ms of every second.
  const ours = identificator(SECRET, '1h')
  const boundaries = new Set()
  for (const until = Date.now() + 2200; Date.now() < until;) {
    const at = now()
    boundaries.add(at)
    assert.equal(await ours.verify(hs256({ ext: '{}', iat: at })), true, `iat ${at}`)
  }
  assert.ok(boundaries.size >= 3, 'the loop crossed two second boundaries')
})

describe('deliberate differences, each asserted', () => {
  const theirs = serverlessIdentificator(SECRET, '1h')
  const ours = identificator(SECRET, '1h')

  test('verify with an asymmetric or no algorithm: jose throws a TypeError without code, this package a TokenError', async () => {
    for (const alg of ['none', 'RS256', 'ES256']) {
      const token = signed({ alg }, { ext: '{}', iat: now() })
      await assert.rejects(theirs.verify(token), error => error instanceof TypeError && error.code === undefined, alg)
      await assert.rejects(ours.verify(token), error => error instanceof TokenError && error.code === 'ERR_JOSE_NOT_SUPPORTED' && error.reason === 'unauthorized', alg)
      await assert.rejects(ours.verifyAndFetch(token), error => error.code === 'ERR_JOSE_ALG_NOT_ALLOWED', alg)
    }
  })

  test('verifyAndFetch with an ext that is not JSON: a TokenError, where serverless-js lets a SyntaxError through', async () => {
    const token = hs256({ ext: '{user_id: 42', iat: now() })
    await assert.rejects(theirs.verifyAndFetch(token), SyntaxError)
    await assert.rejects(ours.verifyAndFetch(token), error =>
      error instanceof TokenError && error.reason === 'unauthorized' && error.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && /ext claim is not JSON/.test(error.message))
    // verify does not read ext, in either.
    assert.equal(await theirs.verify(token), true)
    assert.equal(await ours.verify(token), true)
  })

  test('tokens are strict: over 8 KiB, base64 padded or in the + / alphabet, or a claim given twice is refused where jose accepts', async () => {
    const at = now()
    const big = hs256({ ext: JSON.stringify({ pad: 'x'.repeat(9000) }), iat: at })
    const padded = `${hs256({ ext: '{}', iat: at })}=`
    const twice = hs256(`{"ext":"{}","ext":"{\\"admin\\":true}","iat":${at}}`)
    // The signature in base64's alphabet rather than base64url's (a token whose signature has - or _).
    const urlSafe = Array.from({ length: 64 }, (_, i) => hs256({ ext: `{"i":${i}}`, iat: at })).find(token => /[-_][^.]*$/.test(token))
    const base64 = urlSafe.replace(/[^.]*$/, signature => signature.replaceAll('-', '+').replaceAll('_', '/'))
    const cases = [[big, 'ERR_JWS_INVALID'], [padded, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'], [base64, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'], [twice, 'ERR_JWT_INVALID']]
    for (const [token, code] of cases) {
      assert.equal(await theirs.verify(token), true)
      await assert.rejects(ours.verify(token), error => error instanceof TokenError && error.code === code)
      await assert.rejects(ours.verifyAndFetch(token), error => error instanceof TokenError && error.code === code)
    }
  })

  test('a numeric ttl is seconds here, an absolute exp there', async () => {
    const token = await identificator(SECRET, 120).generateToken({})
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url'))
    assert.equal(claims.exp - claims.iat, 120)
    const theirToken = await serverlessIdentificator(SECRET, 120).generateToken({})
    assert.equal(JSON.parse(Buffer.from(theirToken.split('.')[1], 'base64url')).exp, 120)
  })

  test('a token that is not a string is a TypeError, not a rejection with jose\'s JWSInvalid', async () => {
    await assert.rejects(theirs.verify(42), error => error.code === 'ERR_JWS_INVALID')
    for (const method of ['verify', 'verifyAndFetch', 'verifyToken']) await assert.rejects(ours[method](42), TypeError)
  })
})

describe('generateToken: the bytes serverless-js makes', () => {
  const identifierSets = [
    {},
    { user_id: 42 },
    { user_id: '42', room: 'lobby', admin: false, score: 1.5, tags: ['a', 'b'], nested: { deep: null } },
    { name: 'Zoë 😀', ключ: 'значение', 漢字: '日本語' },
    { text: 'quote " backslash \\ newline \n tab \t bell \u0007 del \u007f sep \u2028 lone \ud800' },
  ]

  for (const ttl of ['1h', '30s', '15 min', '2 days', '1.5h', '1w', '1y']) {
    test(`ttl ${JSON.stringify(ttl)}: byte for byte, for every identifier set`, async () => {
      const ours = identificator(SECRET, ttl)
      const theirs = serverlessIdentificator(SECRET, ttl)
      for (const identifiers of identifierSets) {
        // Both take the current second; mint again if it ticked in between.
        for (let attempt = 0; ; attempt++) {
          const at = now()
          const [mine, reference] = [await ours.generateToken(identifiers), await theirs.generateToken(identifiers)]
          if (now() !== at && attempt < 3) continue
          assert.equal(mine, reference, JSON.stringify(identifiers))
          assert.equal(ours.generateTokenSync(identifiers).split('.')[0], 'eyJhbGciOiJIUzI1NiJ9') // {"alg":"HS256"}
          break
        }
      }
    })
  }

  test('each verifies the other\'s tokens', async () => {
    const [ours, theirs] = [identificator(SECRET, '1h'), serverlessIdentificator(SECRET, '1h')]
    const identifiers = identifierSets[3]
    assert.deepEqual(await theirs.verifyAndFetch(await ours.generateToken(identifiers)), identifiers)
    assert.equal(await theirs.verify(await ours.generateToken(identifiers)), true)
    assert.deepEqual(await ours.verifyAndFetch(await theirs.generateToken(identifiers)), identifiers)
    assert.equal(await ours.verify(await theirs.generateToken(identifiers)), true)
  })
})

// The cases of serverless-js's tests/jwt.test.ts, with tokens minted here (no waiting for a
// real expiry: an exp already past is the same token a second later).
describe('serverless-js\'s own identificator cases', () => {
  const minted = (claims, secret = SECRET) => signed({ alg: 'HS256' }, claims, { secret })

  test('verify resolves true for a token issued now with a one-hour exp', async () => {
    const at = now()
    assert.equal(await identificator(SECRET, '1h').verify(minted({ ext: '{}', exp: at + 3600, iat: at })), true)
  })

  test('verify rejects an expired token with ERR_JWT_EXPIRED, reason token_expired', async () => {
    const at = now()
    const expired = minted({ ext: '{}', exp: at - 1, iat: at - 2 })
    await assert.rejects(identificator(SECRET, '1s').verify(expired), error =>
      error instanceof TokenError && error.code === 'ERR_JWT_EXPIRED' && error.reason === 'token_expired')
  })

  test('verifyAndFetch resolves the identifiers', async () => {
    const at = now()
    const token = minted({ ext: JSON.stringify({ key: 'value' }), exp: at + 3600, iat: at })
    assert.deepEqual(await identificator(SECRET, '1h').verifyAndFetch(token), { key: 'value' })
  })

  test('verifyAndFetch rejects an expired token with ERR_JWT_EXPIRED (so token refresh works)', async () => {
    const at = now()
    const expired = minted({ ext: '{"key":"value"}', exp: at - 1, iat: at - 2 })
    await assert.rejects(identificator(SECRET, '1s').verifyAndFetch(expired), error =>
      error instanceof TokenError && error.code === 'ERR_JWT_EXPIRED' && error.reason === 'token_expired')
  })

  test('generateToken equals the token minted by hand with the same claims in the same second', async () => {
    const idf = identificator(SECRET, '1h')
    for (let attempt = 0; ; attempt++) {
      const at = now()
      const token = await idf.generateToken({ key: 'value' })
      if (now() !== at && attempt < 3) continue
      assert.equal(token, minted({ ext: '{"key":"value"}', exp: at + 3600, iat: at }))
      break
    }
  })
})

describe('the rest of identificator() keeps AnyCable\'s rules', () => {
  const idf = identificator(SECRET, '1h')

  test('verifyToken and verifyTokenSync accept what the server accepts: no iat needed, any HMAC algorithm', async () => {
    const token = hs256({ ext: '{"user_id":1}', exp: now() + 60 })
    await assert.rejects(idf.verify(token), error => error.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED')
    assert.deepEqual(await idf.verifyToken(token), { user_id: 1 })
    assert.deepEqual(idf.verifyTokenSync(token), { user_id: 1 })
    assert.deepEqual(verifyToken(token, { secret: SECRET }), { user_id: 1 })
    const hs512 = signed({ alg: 'HS512' }, { ext: '{"user_id":1}' }, { hash: 'sha512' })
    await assert.rejects(idf.verifyAndFetch(hs512), error => error.code === 'ERR_JOSE_ALG_NOT_ALLOWED')
    assert.deepEqual(idf.verifyTokenSync(hs512), { user_id: 1 })
  })

  test('verifyToken resolves null for every token in the corpus the server refuses', async () => {
    for (const [kind, token] of Object.entries(corpus(now()))) {
      let refused
      try {
        idf.verifyTokenSync(token)
      } catch (error) {
        assert.ok(error instanceof TokenError, kind)
        refused = error
      }
      if (refused) assert.equal(await idf.verifyToken(token), null, kind)
    }
  })

  test('their errors carry jose\'s code and the wire reason too', () => {
    const expired = hs256({ ext: '{}', exp: now() - 1 })
    for (const call of [() => idf.verifyTokenSync(expired), () => verifyToken(expired, { secret: SECRET })]) {
      assert.throws(call, error => error instanceof TokenError && error.reason === 'token_expired' && error.code === 'ERR_JWT_EXPIRED')
    }
    assert.throws(() => idf.verifyTokenSync(hs256({ iat: now() })), error =>
      error.reason === 'unauthorized' && error.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && /no ext/.test(error.message))
  })
})

describe('TokenError', () => {
  test('is an Error named TokenError with a wire reason and a jose code', () => {
    const error = new TokenError('token_expired', 'token has expired', 'ERR_JWT_EXPIRED')
    assert.ok(error instanceof Error)
    assert.equal(error.name, 'TokenError')
    assert.equal(error.reason, 'token_expired')
    assert.equal(error.code, 'ERR_JWT_EXPIRED')
    assert.equal(error.message, 'token has expired')
  })

  test('refuses a reason or code it does not know', () => {
    assert.throws(() => new TokenError('expired', 'x', 'ERR_JWT_EXPIRED'), TypeError)
    assert.throws(() => new TokenError('unauthorized', 'x'), TypeError)
    assert.throws(() => new TokenError('unauthorized', 'x', 'unauthorized'), TypeError)
  })
})
