// Tokens cross-checked against independent producers and verifiers: jose, @anycable/serverless-js
// (which uses jose) and PyJWT (AnyCable's Python snippet).
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import * as jose from 'jose'
import { identificator as serverlessIdentificator } from './support/serverless-js.mjs'
import { identificator, verifyToken, generateToken, TokenError } from '../index.mjs'

const SECRET = 'interop-secret'
const key = new TextEncoder().encode(SECRET)
const ids = { user_id: 42, account: 'acme', name: 'Zoë' }
const now = () => Math.floor(Date.now() / 1000)

function assertRefused(token, reason) {
  assert.throws(() => verifyToken(token, { secret: SECRET }), e => e instanceof TokenError && e.reason === reason)
}

function python(script, ...args) {
  return execFileSync('python3', ['-c', script, ...args], { encoding: 'utf8' }).trim()
}

describe('jose', () => {
  test('verifies our tokens in every algorithm with the AnyCable claims', async () => {
    for (const algorithm of ['HS256', 'HS384', 'HS512']) {
      const token = generateToken(ids, { secret: SECRET, ttl: 300, algorithm })
      const { payload, protectedHeader } = await jose.jwtVerify(token, key, { algorithms: [algorithm] })
      assert.equal(protectedHeader.alg, algorithm)
      assert.deepEqual(JSON.parse(payload.ext), ids)
      assert.equal(payload.exp - payload.iat, 300)
    }
  })

  test('its tokens verify here in every algorithm', async () => {
    for (const alg of ['HS256', 'HS384', 'HS512']) {
      const token = await new jose.SignJWT({ ext: JSON.stringify(ids) })
        .setProtectedHeader({ alg })
        .setExpirationTime('5m')
        .sign(key)
      assert.deepEqual(verifyToken(token, { secret: SECRET }), ids, alg)
    }
  })

  test('expired jose tokens are token_expired only when correctly signed', async () => {
    const expired = claims => new jose.SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(now() - 10)
    assertRefused(await expired({ ext: '{}' }).sign(key), 'token_expired')
    assertRefused(await expired({ ext: '{}' }).sign(new TextEncoder().encode('wrong')), 'unauthorized')
  })

  test('alg none, RS256 and tampered tokens are unauthorized', async () => {
    const unsecured = new jose.UnsecuredJWT({ ext: JSON.stringify(ids) }).setExpirationTime('5m').encode()
    assertRefused(unsecured, 'unauthorized')
    const { privateKey } = await jose.generateKeyPair('RS256')
    const rs256 = await new jose.SignJWT({ ext: JSON.stringify(ids) }).setProtectedHeader({ alg: 'RS256' }).sign(privateKey)
    assertRefused(rs256, 'unauthorized')
    const [header, , signature] = generateToken(ids, { secret: SECRET }).split('.')
    const admin = Buffer.from(JSON.stringify({ ext: '{"user_id":1,"admin":true}', exp: now() + 60 })).toString('base64url')
    assertRefused(`${header}.${admin}.${signature}`, 'unauthorized')
  })
})

describe('@anycable/serverless-js identificator', () => {
  const theirs = serverlessIdentificator(SECRET, '1h')
  const ours = identificator(SECRET, '1h')

  test('verifies our tokens (verifyAndFetch and the maxTokenAge check of verify)', async () => {
    const token = await ours.generateToken(ids)
    assert.deepEqual(await theirs.verifyAndFetch(token), ids)
    assert.equal(await theirs.verify(token), true)
  })

  test('its tokens verify here with the same identifiers', async () => {
    const token = await theirs.generateToken(ids)
    assert.deepEqual(await ours.verifyToken(token), ids)
    assert.deepEqual(ours.verifyTokenSync(token), ids)
    assert.equal(await ours.verify(token), true)
  })

  test('both refuse the same forged token with the same code', async () => {
    const forged = await serverlessIdentificator('other', '1h').generateToken(ids)
    assert.equal(await ours.verifyToken(forged), null)
    for (const method of ['verify', 'verifyAndFetch']) {
      await assert.rejects(theirs[method](forged), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' })
      await assert.rejects(ours[method](forged), e => e instanceof TokenError && e.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED')
    }
  })
})

describe('PyJWT', () => {
  const pyjwt = `
import json, sys, time, jwt
mode, secret = sys.argv[1], sys.argv[2]
if mode == 'encode':
    ids, alg = json.loads(sys.argv[3]), sys.argv[4]
    print(jwt.encode({"ext": json.dumps(ids), "exp": int(time.time()) + 300}, secret, algorithm=alg))
else:
    claims = jwt.decode(sys.argv[3], secret, algorithms=["HS256", "HS384", "HS512"])
    print(json.dumps({"ext": claims["ext"], "ttl": claims["exp"] - claims["iat"]}))
`

  test('its tokens verify here in every algorithm', () => {
    for (const alg of ['HS256', 'HS384', 'HS512']) {
      const token = python(pyjwt, 'encode', SECRET, JSON.stringify(ids), alg)
      assert.deepEqual(verifyToken(token, { secret: SECRET }), ids, alg)
    }
  })

  test('verifies our tokens', () => {
    const token = generateToken(ids, { secret: SECRET, ttl: 120 })
    const decoded = JSON.parse(python(pyjwt, 'decode', SECRET, token))
    assert.deepEqual(JSON.parse(decoded.ext), ids)
    assert.equal(decoded.ttl, 120)
  })
})
