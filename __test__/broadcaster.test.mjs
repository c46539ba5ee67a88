// broadcaster(url, key, options) and signer(secret): serverless-js's broadcasting API, against a
// real server with real @anycable/core clients, and against a local server that records requests.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { createHmac } from 'node:crypto'
import { createRequire } from 'node:module'
import { broadcaster, signer, signStream, broadcastKey } from '../index.mjs'
import { broadcaster as serverlessBroadcaster } from './support/serverless-js.mjs'
import { SECRET, startServer, client, collect, subscriber, token, until, sleep } from './support/cable.mjs'

const endpoint = port => `http://127.0.0.1:${port}/_broadcast`

/**
 * A local HTTP server recording every request (headers, parsed body) and every TCP connection;
 * answers `status`, or, with `forward`, passes the body on to that URL and answers its status.
 */
async function recordingServer(t, { status = 201, forward } = {}) {
  const requests = []
  let connections = 0
  const server = http.createServer(async (request, response) => {
    const chunks = []
    for await (const chunk of request) chunks.push(chunk)
    const body = Buffer.concat(chunks).toString('utf8')
    requests.push({ headers: request.headers, body: JSON.parse(body) })
    let answer = status
    if (forward) {
      const headers = { 'Content-Type': 'application/json', Authorization: request.headers.authorization }
      answer = (await fetch(forward, { method: 'POST', headers, body })).status
    }
    response.writeHead(answer).end()
  })
  server.on('connection', () => connections++)
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise(resolve => server.close(resolve)))
  return {
    url: `http://127.0.0.1:${server.address().port}/_broadcast`,
    requests,
    connections: () => connections,
  }
}

describe('broadcaster against a real cable server', () => {
  test('a broadcast reaches a subscribed client', async t => {
    const { url, port } = await startServer(t)
    const messages = await subscriber(t, url, 'news')
    await broadcaster(endpoint(port), broadcastKey(SECRET))('news', { headline: 'it works' })
    await until(() => messages.length === 1)
    assert.deepEqual(messages, [{ headline: 'it works' }])
  })

  test('meta.exclude_socket is honoured: the excluded session does not receive it', async t => {
    const { url, port } = await startServer(t)
    const [a, b] = [client(t, url, { auth: { token: token() } }), client(t, url, { auth: { token: token() } })]
    const [newsA, newsB] = [a.streamFromSigned(signStream('news', SECRET)), b.streamFromSigned(signStream('news', SECRET))]
    const [gotA, gotB] = [collect(newsA), collect(newsB)]
    await Promise.all([newsA.ensureSubscribed(), newsB.ensureSubscribed()])
    const broadcast = broadcaster(endpoint(port), broadcastKey(SECRET))
    await broadcast('news', { n: 1 }, { exclude_socket: a.sessionId })
    await broadcast('news', { n: 2 })
    await until(() => gotA.length === 1 && gotB.length === 2)
    assert.deepEqual(gotA, [{ n: 2 }])
    assert.deepEqual(gotB, [{ n: 1 }, { n: 2 }])
  })

  test('a wrong key rejects with an Error that says the status', async t => {
    const { port } = await startServer(t)
    const rejected = await broadcaster(endpoint(port), 'wrong-key')('news', {}).then(
      () => assert.fail('resolved'),
      error => error,
    )
    assert.equal(rejected.status, 401)
    assert.match(rejected.message, /news.*401/)
    const keyless = await broadcaster(endpoint(port))('news', {}).catch(error => error)
    assert.equal(keyless.status, 401)
  })

  test('batch: broadcasts made in one tick go out as one request and arrive in order', async t => {
    const { url, port } = await startServer(t)
    const messages = await subscriber(t, url, 'news')
    const recorder = await recordingServer(t, { forward: endpoint(port) })
    const broadcast = broadcaster(recorder.url, broadcastKey(SECRET), { batch: true })
    await Promise.all([1, 2, 3, 4, 5].map(n => broadcast('news', { n })))
    assert.equal(recorder.requests.length, 1)
    assert.deepEqual(
      recorder.requests[0].body,
      [1, 2, 3, 4, 5].map(n => ({ stream: 'news', data: JSON.stringify({ n }) })),
    )
    await until(() => messages.length === 5)
    assert.deepEqual(messages, [1, 2, 3, 4, 5].map(n => ({ n })))

    // The next tick starts a new batch.
    await Promise.all([broadcast('news', { n: 6 }), broadcast('news', { n: 7 }, { transient: true })])
    assert.equal(recorder.requests.length, 2)
    assert.deepEqual(recorder.requests[1].body[1].meta, { transient: true })
    await until(() => messages.length === 7)
  })

  test('batch: a refused request rejects every caller of that batch with its status', async t => {
    const { port } = await startServer(t)
    const broadcast = broadcaster(endpoint(port), 'wrong-key', { batch: true })
    const outcomes = await Promise.allSettled([broadcast('a', 1), broadcast('b', 2)])
    assert.deepEqual(
      outcomes.map(outcome => [outcome.status, outcome.reason?.status]),
      [['rejected', 401], ['rejected', 401]],
    )
    assert.match(outcomes[1].reason.message, /to b: 401/)
  })
})

describe('broadcaster requests', () => {
  test('sequential broadcasts reuse kept-alive connections', async t => {
    const recorder = await recordingServer(t)
    const broadcast = broadcaster(recorder.url, 'key')
    for (let n = 0; n < 20; n++) await broadcast('news', { n })
    assert.equal(recorder.requests.length, 20)
    // fetch's pool frees a socket a moment after the response, so back-to-back calls may use two.
    assert.ok(recorder.connections() <= 2, `${recorder.connections()} connections for 20 broadcasts`)
  })

  test('the request equals what serverless-js sends: body and every header', async t => {
    const recorder = await recordingServer(t)
    const data = { text: 'ünïcødé ✓', list: [1, null, true] }
    await serverlessBroadcaster(recorder.url, 'the-key')('chat/1', data)
    await broadcaster(recorder.url, 'the-key')('chat/1', data)
    await serverlessBroadcaster(recorder.url, undefined)('chat/1', 'plain')
    await broadcaster(recorder.url)('chat/1', 'plain')
    const [theirs, ours, theirsKeyless, oursKeyless] = recorder.requests
    assert.deepEqual(ours, theirs)
    assert.deepEqual(oursKeyless, theirsKeyless)
    assert.equal(ours.headers.authorization, 'Bearer the-key')
    assert.equal(oursKeyless.headers.authorization, undefined)
  })

  test('the url is requested exactly as given, through the global fetch', async t => {
    const requested = []
    const realFetch = globalThis.fetch
    globalThis.fetch = async (url, init) => {
      requested.push({ url, authorization: init.headers.Authorization })
      return new Response(null, { status: 200 })
    }
    t.after(() => { globalThis.fetch = realFetch })
    await broadcaster('http://mock-url.com', 'secret-token')('stream', { key: 'value' })
    assert.deepEqual(requested, [{ url: 'http://mock-url.com', authorization: 'Bearer secret-token' }])
  })

  test('meta is sent as given, and left out when not given', async t => {
    const recorder = await recordingServer(t)
    const broadcast = broadcaster(recorder.url, 'key')
    await broadcast('s', 1, { exclude_socket: 'sid-1', broadcast_type: 'x', transient: true })
    await broadcast('s', 2)
    assert.deepEqual(recorder.requests[0].body, {
      stream: 's',
      data: '1',
      meta: { exclude_socket: 'sid-1', broadcast_type: 'x', transient: true },
    })
    assert.equal('meta' in recorder.requests[1].body, false)
  })

  test('a non-2xx answer rejects; a 2xx one resolves', async t => {
    const refusing = await recordingServer(t, { status: 422 })
    await assert.rejects(broadcaster(refusing.url)('s', 1), error => error.status === 422 && /422/.test(error.message))
    const accepting = await recordingServer(t, { status: 200 })
    assert.equal(await broadcaster(accepting.url)('s', 1), undefined)
  })

  test('bad arguments are TypeErrors and send nothing', async t => {
    for (const url of ['not a url', '/_broadcast', 42, undefined]) {
      assert.throws(() => broadcaster(url, 'key'), TypeError, String(url))
    }
    assert.throws(() => broadcaster('http://127.0.0.1/', 42), TypeError)
    assert.throws(() => broadcaster('http://127.0.0.1/', 'key', { batch: 'yes' }), TypeError)
    assert.throws(() => broadcaster('http://127.0.0.1/', 'key', { batched: true }), TypeError)
    const recorder = await recordingServer(t)
    for (const batch of [false, true]) {
      const broadcast = broadcaster(recorder.url, 'key', { batch })
      await assert.rejects(broadcast(42, {}), TypeError)
      await assert.rejects(broadcast('s', undefined), TypeError)
      await assert.rejects(broadcast('s', 1n), TypeError)
      await assert.rejects(broadcast('s', {}, 'meta'), TypeError)
    }
    await sleep(20)
    assert.equal(recorder.requests.length, 0)
  })
})

describe('signer', () => {
  test('signs as AnyCable does: base64 of the JSON name, "--", hex HMAC-SHA256 of that base64', () => {
    const encoded = Buffer.from(JSON.stringify('room/1989')).toString('base64')
    const digest = createHmac('sha256', 's3crit').update(encoded).digest('hex')
    assert.equal(signer('s3crit')('room/1989'), `${encoded}--${digest}`)
  })

  test('signs as signStream does', () => {
    const sign = signer(SECRET)
    for (const name of ['chat/42', '', 'ünïcødé ✓', 'a--b']) assert.equal(sign(name), signStream(name, SECRET))
  })

  test('a non-string or empty secret is a TypeError', () => {
    for (const secret of ['', undefined, null, 42]) assert.throws(() => signer(secret), TypeError)
    assert.throws(() => signer(SECRET)(42), TypeError)
  })
})

test('CommonJS exports broadcaster and signer', () => {
  const cjs = createRequire(import.meta.url)('../index.js')
  assert.equal(cjs.broadcaster, broadcaster)
  assert.equal(cjs.signer, signer)
})
