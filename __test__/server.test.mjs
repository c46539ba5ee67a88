// The embedded server driven by the real @anycable/core client, as users run it.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { broadcaster } from './support/serverless-js.mjs'
import { createCableServer, signStream, broadcastKey } from '../index.mjs'
import { SECRET, startServer, client, token, next, collect, until, sleep } from './support/cable.mjs'

async function rejectsWithReason(promise, reason) {
  await assert.rejects(promise, error => error.reason === reason)
}

describe('connecting', () => {
  for (const strategy of ['sub-protocol', 'header', 'param']) {
    test(`a token by ${strategy} is welcomed with a sid`, async t => {
      const { url } = await startServer(t)
      const cable = client(t, url, { websocketAuthStrategy: strategy, auth: { token: token() } })
      await cable.connect()
      assert.equal(cable.state, 'connected')
      assert.match(cable.sessionId, /^\S{16,}$/)
    })
  }

  test('pings arrive every pingInterval', async t => {
    const { url } = await startServer(t, { pingInterval: 0.2 })
    const cable = client(t, url, { auth: { token: token() } })
    let pings = 0
    cable.on('keepalive', () => pings++)
    await cable.connect()
    await until(() => pings >= 3, 3000, 'three pings')
  })

  test('a forged token is unauthorized and the client does not retry', async t => {
    const { url } = await startServer(t)
    const cable = client(t, url, { auth: { token: token({ user_id: 1 }).replace(/.$/, 'x') } })
    await rejectsWithReason(cable.connect(), 'unauthorized')
    await sleep(200)
    assert.equal(cable.state, 'closed')
  })

  test('an expired token runs the tokenRefresher and the client comes back subscribed', async t => {
    const { url, server } = await startServer(t)
    let refreshed = 0
    const cable = client(t, url, {
      auth: { token: token({ user_id: 7 }, 1) },
      monitor: undefined,
      tokenRefresher: async transport => {
        refreshed++
        transport.setToken(token({ user_id: 7 }))
      },
    })
    await sleep(1100) // let the 1 s token expire
    const channel = cable.streamFromSigned(signStream('refresh/1', SECRET))
    const messages = collect(channel)
    await channel.ensureSubscribed()
    assert.equal(refreshed, 1)
    server.broadcast('refresh/1', { after: 'refresh' })
    await until(() => messages.length === 1, 5000, 'the broadcast')
    assert.deepEqual(messages, [{ after: 'refresh' }])
  })

  test('enforceJwt refuses tokenless clients; without it a tokenless client is unauthorized unless noauth', async t => {
    const enforced = await startServer(t, { enforceJwt: true, noauth: true })
    await rejectsWithReason(client(t, enforced.url, { websocketAuthStrategy: 'param' }).connect(), 'unauthorized')
    const plain = await startServer(t)
    await rejectsWithReason(client(t, plain.url, { websocketAuthStrategy: 'param' }).connect(), 'unauthorized')
    const open = await startServer(t, { noauth: true })
    const anonymous = client(t, open.url, { websocketAuthStrategy: 'param' })
    await anonymous.connect()
    assert.equal(anonymous.state, 'connected')
  })

  test('GET /health answers 200', async t => {
    const { port } = await startServer(t)
    const response = await fetch(`http://127.0.0.1:${port}/health`)
    assert.equal(response.status, 200)
  })
})

describe('streams', () => {
  test('signed streams receive server.broadcast, only for their stream; an array is one message', async t => {
    const { url, server } = await startServer(t)
    const a = client(t, url, { auth: { token: token() } })
    const b = client(t, url, { auth: { token: token() } })
    const chat = a.streamFromSigned(signStream('chat/42', SECRET))
    const other = b.streamFromSigned(signStream('chat/43', SECRET))
    const chatMessages = collect(chat)
    const otherMessages = collect(other)
    await Promise.all([chat.ensureSubscribed(), other.ensureSubscribed()])
    assert.deepEqual(server.stats(), { connections: 2, streams: 2, subscriptions: 2 })
    server.broadcast('chat/42', { text: 'hi' })
    server.broadcast('chat/42', [1, 2, 3])
    await until(() => chatMessages.length === 2, 5000, 'two messages')
    assert.deepEqual(chatMessages, [{ text: 'hi' }, [1, 2, 3]])
    await sleep(100)
    assert.deepEqual(otherMessages, [])
  })

  test('forged or unsigned names are rejected; public names only when publicStreams is on', async t => {
    const closed = await startServer(t)
    const cable = client(t, closed.url, { auth: { token: token() } })
    await assert.rejects(cable.streamFromSigned(signStream('x', 'not-the-secret')).ensureSubscribed())
    await assert.rejects(cable.streamFromSigned('x').ensureSubscribed())
    await assert.rejects(cable.streamFrom('lobby').ensureSubscribed())

    const open = await startServer(t, { publicStreams: true })
    const publicClient = client(t, open.url, { auth: { token: token() } })
    const lobby = publicClient.streamFrom('lobby')
    const messages = collect(lobby)
    await lobby.ensureSubscribed()
    open.server.broadcast('lobby', 'welcome')
    await until(() => messages.length === 1)
    assert.deepEqual(messages, ['welcome'])
  })

  test('without a streams secret every signed subscription is rejected', async t => {
    const { url } = await startServer(t, { secret: undefined, noauth: true })
    const cable = client(t, url, { websocketAuthStrategy: 'param' })
    await assert.rejects(cable.streamFromSigned(signStream('x', SECRET)).ensureSubscribed())
  })

  test('Turbo::StreamsChannel with turboStreams', async t => {
    const { url, server } = await startServer(t, { turboStreams: true })
    const cable = client(t, url, { auth: { token: token() } })
    const turbo = cable.subscribeTo('Turbo::StreamsChannel', { signed_stream_name: signStream('gid://app/Room/1', SECRET) })
    const messages = collect(turbo)
    await turbo.ensureSubscribed()
    server.broadcast('gid://app/Room/1', '<turbo-stream action="append"></turbo-stream>')
    await until(() => messages.length === 1)
    assert.deepEqual(messages, ['<turbo-stream action="append"></turbo-stream>'])

    const off = await startServer(t)
    const refused = client(t, off.url, { auth: { token: token() } })
    await assert.rejects(
      refused.subscribeTo('Turbo::StreamsChannel', { signed_stream_name: signStream('gid://app/Room/1', SECRET) }).ensureSubscribed(),
    )
  })

  test('whispers reach the other subscribers, not the sender, and only where allowed', async t => {
    const { url } = await startServer(t, { publicStreams: true })
    const [a, b] = [client(t, url, { auth: { token: token() } }), client(t, url, { auth: { token: token() } })]
    const [roomA, roomB] = [a.streamFrom('room'), b.streamFrom('room')]
    const [gotA, gotB] = [collect(roomA), collect(roomB)]
    const [privateA, privateB] = [a.streamFromSigned(signStream('private', SECRET)), b.streamFromSigned(signStream('private', SECRET))]
    const gotPrivateB = collect(privateB)
    await Promise.all([roomA, roomB, privateA, privateB].map(channel => channel.ensureSubscribed()))
    await roomA.whisper({ typing: true })
    await privateA.whisper({ typing: true })
    await until(() => gotB.length === 1)
    await sleep(150)
    assert.deepEqual(gotB, [{ typing: true }])
    assert.deepEqual(gotA, [])
    assert.deepEqual(gotPrivateB, [], 'signed streams need streamsWhisper')
  })
})

describe('HTTP broadcasts', () => {
  const endpoint = port => `http://127.0.0.1:${port}/_broadcast`

  test('serverless-js broadcaster works unchanged with the derived key', async t => {
    const { url, port } = await startServer(t)
    const cable = client(t, url, { auth: { token: token() } })
    const channel = cable.streamFromSigned(signStream('news', SECRET))
    const messages = collect(channel)
    await channel.ensureSubscribed()
    const broadcast = broadcaster(endpoint(port), broadcastKey(SECRET))
    await broadcast('news', { headline: 'it works' })
    await until(() => messages.length === 1)
    assert.deepEqual(messages, [{ headline: 'it works' }])
    await assert.rejects(broadcaster(endpoint(port), 'wrong-key')('news', {}), /Unauthorized/)
  })

  test('the broadcastKey option, batches and meta.exclude_socket', async t => {
    const { url, port } = await startServer(t, { broadcastKey: 'custom-key' })
    const [a, b] = [client(t, url, { auth: { token: token() } }), client(t, url, { auth: { token: token() } })]
    const [newsA, newsB] = [a.streamFromSigned(signStream('news', SECRET)), b.streamFromSigned(signStream('news', SECRET))]
    const [gotA, gotB] = [collect(newsA), collect(newsB)]
    await Promise.all([newsA.ensureSubscribed(), newsB.ensureSubscribed()])
    const post = body =>
      fetch(endpoint(port), { method: 'POST', headers: { Authorization: 'Bearer custom-key' }, body: JSON.stringify(body) })
    const batch = [
      { stream: 'news', data: JSON.stringify({ n: 1 }) },
      { stream: 'news', data: JSON.stringify({ n: 2 }), meta: { exclude_socket: a.sessionId } },
    ]
    assert.equal((await post(batch)).status, 201)
    await until(() => gotB.length === 2)
    await sleep(100)
    assert.deepEqual(gotB, [{ n: 1 }, { n: 2 }])
    assert.deepEqual(gotA, [{ n: 1 }])
    assert.equal((await post({ stream: 'news', data: { n: 3 } })).status, 422, 'non-string data')
    assert.equal((await fetch(endpoint(port), { headers: { Authorization: 'Bearer custom-key' } })).status, 422, 'GET')
  })
})

describe('lifecycle', () => {
  test('close() sends server_restart and the client reconnects to a new server on the same port', async t => {
    const first = createCableServer({ port: 0, secret: SECRET })
    const { url, port } = await first.listen()
    const cable = client(t, url, { auth: { token: token() }, monitor: undefined })
    const channel = cable.streamFromSigned(signStream('restart', SECRET))
    const messages = collect(channel)
    await channel.ensureSubscribed()
    const disconnected = next(cable, 'disconnect')
    await first.close()
    assert.equal((await disconnected).reason, 'server_restart')

    const second = createCableServer({ port, secret: SECRET })
    await second.listen()
    t.after(() => second.close())
    await until(() => second.stats().subscriptions === 1, 10000, 'the client to come back subscribed')
    second.broadcast('restart', { again: true })
    await until(() => messages.length === 1)
    assert.deepEqual(messages, [{ again: true }])
  })

  test('a port in use rejects listen() with a clear error', async t => {
    const blocker = createServer().listen(0, '127.0.0.1')
    await new Promise(resolve => blocker.once('listening', resolve))
    t.after(() => blocker.close())
    const server = createCableServer({ port: blocker.address().port, secret: SECRET })
    await assert.rejects(server.listen(), /already in use/)
  })

  test('invalid options are TypeErrors from createCableServer', () => {
    const invalid = [
      { prot: 8080 },
      { port: '8080' },
      { port: 70000 },
      { port: -1 },
      { secret: 42 },
      { enforceJwt: 'yes' },
      { pingInterval: 0 },
      { maxMessageSize: 1.5 },
      { allowedOrigins: [1] },
      { path: 'cable' },
      { enforceJwt: true },
    ]
    for (const options of invalid) {
      assert.throws(() => createCableServer(options), TypeError, JSON.stringify(options))
    }
    assert.throws(() => createCableServer('port=1'), TypeError)
    const server = createCableServer({ port: 0, secret: SECRET })
    assert.throws(() => server.broadcast('', {}), TypeError)
    assert.throws(() => server.broadcast('s', undefined), TypeError)
    assert.throws(() => server.broadcast('s', { n: 1n }), TypeError)
  })
})
