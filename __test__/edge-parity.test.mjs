// The Edge build (index.edge.mjs, WebCrypto) against the native build on generated inputs: the
// same tokens byte for byte in the same second, each build's tokens verifying on the other, the
// same ttl readings and argument errors, and the same verdict (value, or TokenError code, reason
// and message) for every token of a corpus of bad and mutated ones, under each rule set.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import native from '../index.js'
import * as edge from '../index.edge.mjs'
import { SECRET, now, corpus, signed } from './support/token-corpus.mjs'
import { random, text, identifiers, TTLS, streamName, mutated, signedRaw, readerCorpus } from './support/edge-cases.mjs'

/** How a call settles, in comparable form: `{ value }` or `{ error: { name, message, code, reason } }`. */
async function settle(call) {
  try {
    return { value: await call() }
  } catch (error) {
    const { name, message, code, reason } = error
    return { error: { name, message, code, reason, isTokenError: error instanceof native.TokenError || error instanceof edge.TokenError } }
  }
}

/**
 * Runs `compare` within one second, away from its edges: token times are whole seconds, and the
 * native core reads a coarse clock that may lag Date.now by a few milliseconds.
 */
async function inOneSecond(compare) {
  for (;;) {
    const millisecond = Date.now() % 1000
    if (millisecond < 30 || millisecond > 900) {
      await new Promise(resolve => setTimeout(resolve, (1030 - millisecond) % 1000))
      continue
    }
    const at = now()
    const outcome = await compare(at)
    if (now() === at) return outcome
  }
}

const ALGORITHMS = [undefined, 'HS256', 'HS384', 'HS512']
const VALID_TTLS = TTLS.filter(ttl => {
  try {
    native.identificator(SECRET, ttl)
    return true
  } catch {
    return false
  }
})

describe('issuing', () => {
  test('3000 generated identifiers, secrets, ttl forms and algorithms: the same token from both builds', async () => {
    const next = random(17)
    const secrets = [SECRET, 'Zoë 😀', 'lone \ud800 surrogate', 'x', 'a\nb']
    for (let index = 0; index < 3000; index++) {
      const ids = identifiers(next)
      const options = { secret: secrets[index % secrets.length], ttl: VALID_TTLS[index % VALID_TTLS.length], algorithm: ALGORITHMS[index % 4] }
      const [nativeToken, edgeToken] = await inOneSecond(async () => [native.generateToken(ids, options), edge.generateToken(ids, options)])
      assert.equal(edgeToken, nativeToken, `case ${index}: ${JSON.stringify(ids)} ${JSON.stringify(options)}`)
      // Each verifies on the other build (when it has not expired: a 1 s ttl may pass).
      const expected = JSON.parse(JSON.stringify(ids))
      const secret = { secret: options.secret }
      const onNative = await settle(() => native.verifyToken(edgeToken, secret))
      const onEdge = await settle(() => edge.verifyToken(nativeToken, secret))
      assert.equal(typeof onEdge.value, typeof onNative.value, 'verifyToken is sync in both builds')
      assert.deepEqual(onEdge, onNative, `case ${index}`)
      if (onNative.value !== undefined) assert.deepEqual(onNative.value, expected, `case ${index}`)
    }
  })

  test("an identificator's tokens are the same, and verify on the other build by all its methods", async () => {
    const next = random(4)
    for (const ttl of VALID_TTLS) {
      const ours = native.identificator(SECRET, ttl)
      const theirs = edge.identificator(SECRET, ttl)
      assert.equal(theirs.ttl, ours.ttl, `ttl ${ttl}`)
      for (let index = 0; index < 20; index++) {
        const ids = identifiers(next)
        const [nativeToken, edgeToken, edgeSyncToken] = await inOneSecond(async () => [ours.generateTokenSync(ids), await theirs.generateToken(ids), theirs.generateTokenSync(ids)])
        assert.equal(edgeToken, nativeToken, 'WebCrypto')
        assert.equal(edgeSyncToken, nativeToken, '@noble/hashes')
        if (ours.ttl < 5) continue
        const expected = JSON.parse(JSON.stringify(ids))
        assert.deepEqual(ours.verifyTokenSync(edgeToken), expected)
        assert.deepEqual(await theirs.verifyAndFetch(nativeToken), expected)
        assert.deepEqual(await theirs.verifyToken(nativeToken), expected)
        assert.equal(await theirs.verify(nativeToken), true)
        assert.deepEqual(await ours.verifyAndFetch(edgeToken), expected)
        assert.deepEqual(theirs.verifyTokenSync(nativeToken), expected)
      }
    }
  })

  test('every ttl form: the same seconds, or the same TypeError', async () => {
    for (const ttl of [...TTLS, undefined, null, {}, 10n]) {
      const expected = await settle(() => native.identificator(SECRET, ttl).ttl)
      assert.deepEqual(await settle(() => edge.identificator(SECRET, ttl).ttl), expected, `ttl ${String(ttl)}`)
      const options = { secret: SECRET, ttl }
      const issuedNative = await settle(() => native.generateToken({}, options).length)
      assert.deepEqual(await settle(() => edge.generateToken({}, options).length), issuedNative, `one-off ttl ${String(ttl)}`)
    }
  })

  test('expiresAt: the same token or the same TypeError', async () => {
    const at = now()
    const cases = [0, -1, 1.5, at - 10, at + 60.9, at + 1e9 - 5, at + 1e9 + 5, NaN, Infinity, -0, 1e300, new Date(0), new Date(NaN), new Date((at + 90) * 1000 + 999), 'soon', null]
    for (const expiresAt of cases) {
      const options = { secret: SECRET, expiresAt }
      const outcomes = await inOneSecond(async () => [await settle(() => native.generateToken({ a: 1 }, options)), await settle(() => edge.generateToken({ a: 1 }, options))])
      assert.deepEqual(outcomes[1], outcomes[0], `expiresAt ${String(expiresAt)}`)
    }
  })

  test('bad arguments: the same error type and message', async () => {
    class User {}
    const circular = {}
    circular.self = circular
    const identifiersCases = [null, [], 'x', new User(), { toJSON: () => 1 }, { toJSON: () => undefined }, { big: 1n }, circular, { pad: 'x'.repeat(7000) }, { pad: 'é'.repeat(3000) }]
    for (const ids of identifiersCases) {
      const options = { secret: SECRET }
      assert.deepEqual(await settle(() => edge.generateToken(ids, options)), await settle(() => native.generateToken(ids, options)), String(ids))
      const id = [native.identificator(SECRET, 60), edge.identificator(SECRET, 60)]
      const expected = await settle(() => id[0].generateTokenSync(ids))
      assert.deepEqual(await settle(() => id[1].generateToken(ids)), expected, String(ids))
      assert.deepEqual(await settle(() => id[1].generateTokenSync(ids)), expected, String(ids))
    }
    const optionCases = [undefined, null, {}, { secret: '' }, { secret: 1 }, { secret: SECRET, extra: 1 }, { secret: SECRET, algorithm: 'HS1024' }, { secret: SECRET, algorithm: 256 }, { secret: SECRET, ttl: 'forever' }, Object.create({ secret: SECRET })]
    for (const options of optionCases) {
      assert.deepEqual(await settle(() => edge.generateToken({}, options)), await settle(() => native.generateToken({}, options)), JSON.stringify(options))
      assert.deepEqual(await settle(() => edge.verifyToken('a.b.c', options)), await settle(() => native.verifyToken('a.b.c', options)), JSON.stringify(options))
    }
    for (const secret of ['', 1, undefined]) {
      assert.deepEqual(await settle(() => edge.identificator(secret, 60)), await settle(() => native.identificator(secret, 60)))
    }
    const id = [native.identificator(SECRET, 60), edge.identificator(SECRET, 60)]
    for (const token of [undefined, null, 42, {}]) {
      for (const method of ['verify', 'verifyAndFetch', 'verifyToken', 'verifyTokenSync']) {
        assert.deepEqual(await settle(() => id[1][method](token)), await settle(() => id[0][method](token)), `${method}(${token})`)
      }
      assert.deepEqual(await settle(() => edge.verifyToken(token, { secret: SECRET })), await settle(() => native.verifyToken(token, { secret: SECRET })))
    }
  })
})

describe('verifying', () => {
  const nativeId = native.identificator(SECRET, '1h')
  const edgeId = edge.identificator(SECRET, '1h')
  /**
   * Each rule set's verdict on `token`: jose's (verify, verifyAndFetch) and AnyCable's (the
   * others); in the Edge build the async methods check the signature with WebCrypto, the sync
   * ones with @noble/hashes.
   */
  const verdicts = async (build, id, token) => ({
    verify: await settle(() => id.verify(token)),
    verifyAndFetch: await settle(() => id.verifyAndFetch(token)),
    verifyToken: await settle(() => id.verifyToken(token)),
    verifyTokenSync: await settle(() => id.verifyTokenSync(token)),
    oneOff: await settle(() => build.verifyToken(token, { secret: SECRET })),
  })
  const compare = async tokensAt => {
    const kinds = Object.keys(tokensAt(now()))
    for (const kind of kinds) {
      const [expected, actual] = await inOneSecond(async at => {
        const token = tokensAt(at)[kind]
        return [await verdicts(native, nativeId, token), await verdicts(edge, edgeId, token)]
      })
      assert.deepEqual(actual, expected, kind)
    }
    return kinds.length
  }

  test('the serverless-js corpus: the same verdicts, codes, reasons and messages', async () => {
    assert.ok((await compare(corpus)) > 50)
  })

  test('tokens on the edges of the JSON readers and base64: the same verdicts', async () => {
    assert.ok((await compare(readerCorpus)) > 50)
  })

  test('every refusal the native build gives appears in the corpora', async () => {
    const messages = new Set()
    for (const tokens of [corpus(now()), readerCorpus(now())]) {
      for (const token of Object.values(tokens)) {
        for (const verdict of Object.values(await verdicts(edge, edgeId, token))) {
          if (verdict.error?.isTokenError) messages.add(`${verdict.error.code} ${verdict.error.message}`)
        }
      }
    }
    // Every Refusal of the core (error.rs) and the ext-not-JSON one of the JS layer.
    assert.equal(messages.size, 19, [...messages].join('\n'))
  })

  test('4000 mutated claims and headers, signed: the same verdicts', async () => {
    const next = random(99)
    const at = now()
    const claims = JSON.stringify({ ext: '{"id":"é"}', iat: at - 5, exp: at + 600, nbf: at - 10 })
    const header = '{"alg":"HS256","typ":"JWT"}'
    const tokens = {}
    for (let index = 0; index < 4000; index++) {
      const mutateHeader = index % 4 === 0
      let [headerText, claimsText] = [header, claims]
      for (let edits = 1 + Math.floor(next() * 3); edits > 0; edits--) {
        if (mutateHeader) headerText = mutated(next, headerText)
        else claimsText = mutated(next, claimsText)
      }
      tokens[`${index}: ${headerText} ${claimsText}`] = signedRaw(headerText, claimsText)
    }
    let refused = 0
    for (const [kind, token] of Object.entries(tokens)) {
      const [expected, actual] = [await verdicts(native, nativeId, token), await verdicts(edge, edgeId, token)]
      assert.deepEqual(actual, expected, kind)
      if (expected.oneOff.error) refused++
    }
    // The mutations reach both verdicts.
    assert.ok(refused > 1000 && refused < 3900, `${refused} refused`)
  })

  test('tokens signed with a wrong secret or algorithm: the same verdicts', async () => {
    const at = now()
    const claims = { ext: '{"id":1}', iat: at }
    const tokens = [
      signed({ alg: 'HS384' }, claims, { hash: 'sha256' }),
      signed({ alg: 'HS256' }, claims, { hash: 'sha512' }),
      signed({ alg: 'HS512' }, claims, { secret: 'nope', hash: 'sha512' }),
    ]
    for (const token of tokens) assert.deepEqual(await verdicts(edge, edgeId, token), await verdicts(native, nativeId, token))
  })
})

describe('signed streams and derived keys', () => {
  test('2000 generated names: the same signature, each verifying on the other build', async () => {
    const next = random(7)
    for (let index = 0; index < 2000; index++) {
      const name = streamName(next)
      const secret = `s${text(next, 4)}`
      const signedName = native.signStream(name, secret)
      assert.equal(edge.signStream(name, secret), signedName, JSON.stringify(name))
      assert.equal(edge.verifyStream(signedName, secret), native.verifyStream(signedName, secret))
      assert.equal(edge.signer(secret)(name), signedName)
    }
  })

  test('altered signed names: the same verdicts', async () => {
    const next = random(8)
    const secret = 's3cr3t'
    const variants = []
    for (let index = 0; index < 300; index++) {
      const signedName = native.signStream(streamName(next), secret)
      const [data, digest] = [signedName.slice(0, signedName.lastIndexOf('--')), signedName.slice(signedName.lastIndexOf('--') + 2)]
      const urlSafe = data.replace(/\+/g, '-').replace(/\//g, '_')
      variants.push(
        signedName,
        `${data}--${digest.toUpperCase()}`,
        `${data.replace(/=+$/, '')}--${digest}`,
        `${urlSafe}--${digest}`,
        `${data}--${digest.slice(1)}`,
        `${data}x--${digest}`,
        data,
        `${data}----${digest}`,
        mutated(next, signedName),
      )
    }
    // Re-signed with the digest matching, so the decoding decides.
    const sign = data => `${data}--${native.signStream('', secret) && digestOf(data, secret)}`
    for (const data of ['ImEi', 'ImEi=', 'ImEj', 'ImEiIA', 'ImEiIA==', 'ImEiIA=', 'Ilx1ZDgwMCI=', 'IlxcdWQ4MDAi', 'IsOpIg==', 'NDI=', 'IuKCrCI', '_-8']) {
      variants.push(sign(data))
    }
    for (const variant of variants) {
      assert.equal(edge.verifyStream(variant, secret), native.verifyStream(variant, secret), JSON.stringify(variant))
    }
  })

  test('broadcastKey and rpcKey: the same keys for generated secrets; the same errors', async () => {
    const next = random(9)
    for (let index = 0; index < 300; index++) {
      const secret = `k${text(next, 10)}`
      assert.equal(edge.broadcastKey(secret), native.broadcastKey(secret))
      assert.equal(edge.rpcKey(secret), native.rpcKey(secret))
    }
    for (const bad of ['', undefined, 7]) {
      for (const name of ['broadcastKey', 'rpcKey']) {
        assert.deepEqual(await settle(() => edge[name](bad)), await settle(() => native[name](bad)), `${name}(${bad})`)
      }
      assert.deepEqual(await settle(() => edge.signStream('a', bad)), await settle(() => native.signStream('a', bad)))
      assert.deepEqual(await settle(() => edge.verifyStream('a', bad)), await settle(() => native.verifyStream('a', bad)))
      assert.deepEqual(await settle(() => edge.signer(bad)), await settle(() => native.signer(bad)))
    }
    assert.deepEqual(await settle(() => edge.signStream(1, 's')), await settle(() => native.signStream(1, 's')))
    assert.deepEqual(await settle(() => edge.verifyStream(1, 's')), await settle(() => native.verifyStream(1, 's')))
  })
})

import { createHmac } from 'node:crypto'
/** Rails MessageVerifier's digest of `data`, computed independently of both builds. */
function digestOf(data, secret) {
  return createHmac('sha256', secret).update(data).digest('hex')
}
