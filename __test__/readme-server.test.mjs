// The README's promises about the cable server's defaults and options, each checked against a real
// server with real sockets.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { broadcastKey, createCableServer, generateToken, signStream } from '../index.mjs'
import { SECRET, startServer, client, token, collect, until } from './support/cable.mjs'
import { rawClient } from './support/raw-cable.mjs'

describe('defaults', () => {
  test('with no host, port or path the server listens on ws://127.0.0.1:8080/cable', async t => {
    const server = createCableServer({ secret: SECRET })
    const info = await server.listen().catch(error => {
      // Someone else has 8080 (a test cannot take it from them): check the rest on any free port.
      if (!/already in use/.test(error.message)) throw error
    })
    if (!info) {
      const { url } = await startServer(t)
      assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+\/cable$/)
      t.diagnostic('port 8080 is taken here: checked the default host and path only')
      return
    }
    t.after(() => server.close())
    assert.equal(info.url, 'ws://127.0.0.1:8080/cable')
    assert.equal(info.port, 8080)
    await rawClient(t, info.url, token()).welcomed()
  })

  test('pings arrive every 3 s, the first within [1.5, 4.5) s of the welcome', async t => {
    const { url } = await startServer(t)
    const raw = rawClient(t, url, token())
    const welcome = await raw.welcomed()
    const pings = () => raw.frames.filter(frame => frame.type === 'ping')
    await raw.frame(() => pings().length >= 2, 10_000, 'two pings')
    const [first, second] = pings()
    const firstAfter = (first.at - welcome.at) / 1000
    const gap = (second.at - first.at) / 1000
    assert.ok(firstAfter >= 1.4 && firstAfter < 4.6, `first ping ${firstAfter.toFixed(2)} s after the welcome`)
    // Tight enough to tell 3 s from 2 s or 4 s, loose enough for a busy 2-core machine.
    assert.ok(gap > 2.4 && gap < 3.8, `pings ${gap.toFixed(2)} s apart`)
    assert.ok(Math.abs(first.message - Date.now() / 1000) < 10, 'a ping carries the unix time in seconds')
  })

  test('maxMessageSize: a 65,536-byte frame is accepted, a 65,537-byte one closes with 1009', async t => {
    const { url } = await startServer(t, { publicStreams: true })
    const identifier = JSON.stringify({ channel: '$pubsub', stream_name: 'big' })
    const command = padding => JSON.stringify({ command: 'subscribe', identifier, padding })
    const sized = bytes => command('x'.repeat(bytes - command('').length))
    assert.equal(Buffer.byteLength(sized(65_536)), 65_536)

    const raw = rawClient(t, url, token())
    await raw.welcomed()
    raw.send(sized(65_536))
    assert.equal((await raw.frame(f => f.identifier === identifier)).type, 'confirm_subscription')

    raw.send(sized(65_537))
    assert.equal((await raw.closed).code, 1009)
  })
})

test('the token is read from the X-JID header, then the sub-protocol, then ?jid=', async t => {
  const { url } = await startServer(t)
  const good = token()
  const bad = generateToken({ user_id: 1 }, { secret: 'not-the-secret' })
  const outcome = async (subProtocol, { header, query } = {}) => {
    const raw = rawClient(t, query ? `${url}?jid=${query}` : url, subProtocol, header ? { headers: { 'x-jid': header } } : {})
    return (await raw.frame(f => f.type === 'welcome' || f.type === 'disconnect')).type
  }
  assert.equal(await outcome(bad, { header: good }), 'welcome', 'the header beats the sub-protocol')
  assert.equal(await outcome(good, { header: bad }), 'disconnect', 'the header beats the sub-protocol')
  assert.equal(await outcome(good, { query: bad }), 'welcome', 'the sub-protocol beats the query')
  assert.equal(await outcome(bad, { query: good }), 'disconnect', 'the sub-protocol beats the query')
  assert.equal(await outcome(undefined, { query: good }), 'welcome')
})

describe('secrets', () => {
  test('jwtSecret takes precedence over secret', async t => {
    const { url } = await startServer(t, { secret: 'common-secret', jwtSecret: 'jwt-only-secret' })
    const withCommon = rawClient(t, url, generateToken({ user_id: 1 }, { secret: 'common-secret' }))
    const refused = await withCommon.frame(f => f.type === 'disconnect' || f.type === 'welcome')
    assert.deepEqual([refused.type, refused.reason], ['disconnect', 'unauthorized'])
    const withJwtSecret = rawClient(t, url, generateToken({ user_id: 1 }, { secret: 'jwt-only-secret' }))
    await withJwtSecret.welcomed()
  })

  test('streamsSecret takes precedence over secret', async t => {
    const { url } = await startServer(t, { streamsSecret: 'streams-only-secret' })
    const raw = rawClient(t, url, token())
    await raw.welcomed()
    const common = await raw.subscribe({ channel: '$pubsub', signed_stream_name: signStream('room', SECRET) })
    assert.equal(common.type, 'reject_subscription')
    const own = await raw.subscribe({ channel: '$pubsub', signed_stream_name: signStream('room', 'streams-only-secret') })
    assert.equal(own.type, 'confirm_subscription')
  })
})

describe('public', () => {
  const publish = (port, headers = {}) =>
    fetch(`http://127.0.0.1:${port}/_broadcast`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ stream: 'open', data: JSON.stringify({ text: 'hi' }) }),
    })

  test('public = noauth + publicStreams + HTTP broadcasts without a key when none is configured', async t => {
    const server = createCableServer({ port: 0, public: true })
    const { url, port } = await server.listen()
    t.after(() => server.close())
    const anonymous = rawClient(t, url)
    await anonymous.welcomed()
    assert.equal((await anonymous.subscribe({ channel: '$pubsub', stream_name: 'open' })).type, 'confirm_subscription')
    assert.equal((await publish(port)).status, 201)
    assert.deepEqual((await anonymous.frame(f => f.identifier !== undefined && f.message !== undefined)).message, { text: 'hi' })
  })

  test('with a secret, public still requires the broadcast key', async t => {
    const { url, port } = await startServer(t, { public: true })
    await rawClient(t, url).welcomed()
    assert.equal((await publish(port)).status, 401)
    assert.equal((await publish(port, { authorization: `Bearer ${broadcastKey(SECRET)}` })).status, 201)
  })
})

describe('paths', () => {
  test('a custom broadcastPath takes publications; the default path is then 404', async t => {
    const { url, port } = await startServer(t, { broadcastPath: '/custom/broadcasts' })
    const cable = client(t, url, { auth: { token: token() } })
    const channel = cable.streamFromSigned(signStream('news', SECRET))
    const messages = collect(channel)
    await channel.ensureSubscribed()
    const post = (path, text) =>
      fetch(`http://127.0.0.1:${port}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${broadcastKey(SECRET)}` },
        body: JSON.stringify({ stream: 'news', data: JSON.stringify({ text }) }),
      })
    assert.equal((await post('/_broadcast', 'default')).status, 404)
    assert.equal((await post('/custom/broadcasts', 'custom')).status, 201)
    await until(() => messages.length === 1, 5000, 'the broadcast')
    assert.deepEqual(messages, [{ text: 'custom' }])
  })

  test('a custom healthPath answers 200; /health is then 404', async t => {
    const { port } = await startServer(t, { healthPath: '/up' })
    assert.equal((await fetch(`http://127.0.0.1:${port}/up`)).status, 200)
    assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 404)
  })

  test('a custom path serves the cable there; /cable is then 404', async t => {
    const { url, port } = await startServer(t, { path: '/ws' })
    assert.match(url, /\/ws$/)
    await rawClient(t, url, token()).welcomed()
    assert.equal((await fetch(`http://127.0.0.1:${port}/cable`)).status, 404)
  })
})
