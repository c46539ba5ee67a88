// serverless-js Applications answering channels: in-process and over RPC-over-HTTP, with real clients.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import WebSocket from 'ws'
import { rpcEndpoint } from './support/rpc-endpoint.mjs'
import { createChatApp } from './support/chat-app.mjs'
import { broadcastKey, createCableServer } from '../index.mjs'
import { SECRET, startServer, client, token, collect, until, sleep } from './support/cable.mjs'

/** A WebSocket that sends a cookie, as a browser would for a same-site app. */
const withCookie = cookie =>
  class extends WebSocket {
    constructor(url, protocols) {
      super(url, protocols, { headers: { cookie } })
    }
  }


const chatIdentifier = roomId => ({ roomId })

for (const mode of ['in-process', 'rpcHost']) {
  describe(`the serverless-js chat example (${mode})`, () => {
    async function setup(t, extra = {}) {
      const chat = createChatApp()
      const endpoint = mode === 'rpcHost' ? await rpcEndpoint(chat.app) : undefined
      const options = endpoint ? { rpcHost: endpoint.url } : { application: chat.app }
      const started = await startServer(t, { ...options, ...extra })
      if (endpoint) t.after(endpoint.close)
      chat.useBroadcaster(`http://127.0.0.1:${started.port}/_broadcast`, broadcastKey(SECRET))
      assert.equal(started.server.features().application, mode === 'in-process' ? 'in-process' : 'http')
      return { ...started, chat }
    }

    test('subscribe, perform and both clients receive; JWT clients never call connect', async t => {
      const { url, chat } = await setup(t)
      const ann = client(t, url, { auth: { token: token({ username: 'ann' }) } })
      const bob = client(t, url, { auth: { token: token({ username: 'bob' }) } })
      const annRoom = ann.subscribeTo('chat', chatIdentifier('42'))
      const bobRoom = bob.subscribeTo('chat', chatIdentifier('42'))
      const [annGot, bobGot] = [collect(annRoom), collect(bobRoom)]
      await Promise.all([annRoom.ensureSubscribed(), bobRoom.ensureSubscribed()])
      await annRoom.perform('sendMessage', { body: 'hello' })
      await until(() => annGot.length === 1 && bobGot.length === 1, 5000, 'both to receive')
      assert.deepEqual(bobGot, [{ username: 'ann', body: 'hello' }])
      assert.deepEqual(annGot, bobGot)
      assert.equal(chat.calls.connect, 0)
    })

    test('a missing roomId is rejected', async t => {
      const { url } = await setup(t)
      const cable = client(t, url, { auth: { token: token({ username: 'ann' }) } })
      await assert.rejects(cable.subscribeTo('chat', {}).ensureSubscribed())
    })

    test('disconnect runs once with the right subscriptions', async t => {
      const { url, chat, server } = await setup(t)
      const cable = client(t, url, { auth: { token: token({ username: 'ann' }) } })
      await cable.subscribeTo('chat', chatIdentifier('7')).ensureSubscribed()
      await cable.subscribeTo('chat', chatIdentifier('8')).ensureSubscribed()
      cable.disconnect()
      await until(() => chat.calls.disconnect.length === 1, 5000, 'disconnect')
      await sleep(100)
      assert.deepEqual(chat.calls.disconnect, [{ username: 'ann' }])
      assert.deepEqual(chat.calls.unsubscribed.map(u => u.roomId).sort(), ['7', '8'])
      assert.equal(server.stats().subscriptions, 0)
    })

    test('a JWT client with no application channels does not call disconnect', async t => {
      const { url, chat, server } = await setup(t)
      const cable = client(t, url, { auth: { token: token({ username: 'ann' }) } })
      await cable.connect()
      cable.disconnect()
      await until(() => server.stats().connections === 0)
      await sleep(100)
      assert.deepEqual(chat.calls.disconnect, [])
    })

    test('connect authenticates a tokenless client from its cookie', async t => {
      const { url, chat } = await setup(t)
      const carol = client(t, url, { websocketAuthStrategy: 'param', websocketImplementation: withCookie('user=carol') })
      const room = carol.subscribeTo('chat', chatIdentifier('1'))
      const got = collect(room)
      await room.ensureSubscribed()
      assert.equal(chat.calls.connect, 1)
      await room.perform('sendMessage', { body: 'from a cookie' })
      await until(() => got.length === 1)
      assert.deepEqual(got, [{ username: 'carol', body: 'from a cookie' }])

      const stranger = client(t, url, { websocketAuthStrategy: 'param' })
      await assert.rejects(stranger.connect(), error => error.reason === 'unauthorized')
    })

    test('a throwing or hanging channel gets the client a reject; others are unaffected', async t => {
      const { url, server } = await setup(t, { rpcTimeout: 0.5 })
      const bystander = client(t, url, { auth: { token: token({ username: 'bea' }) } })
      const calm = bystander.subscribeTo('chat', chatIdentifier('calm'))
      const calmGot = collect(calm)
      await calm.ensureSubscribed()

      const victim = client(t, url, { auth: { token: token({ username: 'vic' }) } })
      await assert.rejects(victim.subscribeTo('faulty', { mode: 'throw' }).ensureSubscribed())
      await assert.rejects(victim.subscribeTo('faulty', { mode: 'hang' }).ensureSubscribed())
      const faulty = victim.subscribeTo('faulty', { mode: 'ok' })
      await faulty.ensureSubscribed()
      await faulty.perform('explode', {}).catch(() => {})

      server.broadcast('room:calm', { still: 'here' })
      await until(() => calmGot.length === 1)
      assert.deepEqual(calmGot, [{ still: 'here' }])
      assert.equal(victim.state, 'connected')
    })
  })
}

test('an RPC endpoint answering 500 gets tokenless clients unauthorized and subscriptions rejected', async t => {
  const chat = createChatApp()
  const endpoint = await rpcEndpoint(chat.app, { fail: true })
  const { url, server } = await startServer(t, { rpcHost: endpoint.url })
  t.after(endpoint.close)
  const tokenless = client(t, url, { websocketAuthStrategy: 'param', websocketImplementation: withCookie('user=carol') })
  await assert.rejects(tokenless.connect(), error => error.reason === 'unauthorized')
  const jwt = client(t, url, { auth: { token: token({ username: 'ann' }) } })
  await assert.rejects(jwt.subscribeTo('chat', chatIdentifier('1')).ensureSubscribed())
  const signedStillWork = jwt.streamFrom('x')
  await assert.rejects(signedStillWork.ensureSubscribed(), 'public streams are off')
  assert.equal(jwt.state, 'connected')
  assert.equal(server.stats().connections, 1)
})

test('RPC requests carry the session id and the rpc-cable key derived from the secret', async t => {
  const chat = createChatApp()
  const endpoint = await rpcEndpoint(chat.app)
  const { url } = await startServer(t, { rpcHost: endpoint.url })
  t.after(endpoint.close)
  const cable = client(t, url, { auth: { token: token({ username: 'ann' }) } })
  await cable.subscribeTo('chat', chatIdentifier('1')).ensureSubscribed()
  const expectedKey = createHmac('sha256', SECRET).update('rpc-cable').digest('hex')
  assert.deepEqual(endpoint.requests, [{ path: '/api/anycable/command', sid: cable.sessionId, authorization: `Bearer ${expectedKey}` }])
})

test('application and rpcHost are checked', () => {
  assert.throws(() => createCableServer({ application: {} }), TypeError)
  assert.throws(() => createCableServer({ rpcHost: 'localhost:3000' }), TypeError)
  assert.throws(() => createCableServer({ application: createChatApp().app, rpcHost: 'http://x' }), TypeError)
})
