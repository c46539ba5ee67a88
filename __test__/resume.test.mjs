// Session resumption with the real @anycable/core client on the extended protocol: a dropped
// connection comes back restored (no subscribe again) and, through the history it asks for right
// after the restored welcome, with every offset once and in order; and the decided rules: an
// expired token is refused whatever sid it carries, another user's token restores nothing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import WebSocket from 'ws'
import { startServer, client, sleep, token } from './support/cable.mjs'
import { tcpProxy, broadcastAcrossACut } from './support/tcp-proxy.mjs'

const EXT = 'actioncable-v1-ext-json'

/** Every welcome frame the client read, and every URL it connected to. */
const welcomes = []
const urls = []

/** `ws` delivering one message per task, as browsers do (see history.test.mjs), recording welcomes. */
class RecordingWebSocket extends WebSocket {
  constructor(url, protocols, options = {}) {
    super(url, protocols, { allowSynchronousEvents: false, ...options })
    urls.push(String(url))
    this.on('message', data => {
      const frame = JSON.parse(String(data))
      if (frame.type === 'welcome') welcomes.push(frame)
    })
  }
}

/** The first frame a raw extended-protocol connection to `url` gets, offering `token`. */
async function firstFrame(t, url, token) {
  const ws = new WebSocket(url, [EXT, `anycable-token.${token}`])
  t.after(() => ws.terminate())
  const [data] = await new Promise((resolve, reject) => {
    ws.once('message', (...args) => resolve(args))
    ws.once('error', reject)
  })
  return JSON.parse(String(data))
}

test('a cut connection is restored: no subscribe again, every offset once and in order', async t => {
  welcomes.length = 0
  urls.length = 0
  const { server, port } = await startServer(t, { publicStreams: true })
  const proxy = await tcpProxy(t, port)
  const cable = client(t, `ws://127.0.0.1:${proxy.port}/cable`, {
    protocol: EXT,
    websocketImplementation: RecordingWebSocket,
    auth: { token: token() },
    monitor: undefined,
    reconnectStrategy: () => 100,
  })
  const sent = []
  const send = cable.send.bind(cable)
  cable.send = message => {
    sent.push(message)
    return send(message)
  }
  const channel = cable.streamFrom('chat_s')
  const messages = []
  const connects = []
  channel.on('message', (message, meta) => messages.push({ message, meta }))
  channel.on('connect', connect => connects.push(connect))
  await channel.ensureSubscribed()

  const total = 60
  await broadcastAcrossACut({ server, stream: 'chat_s', proxy, received: () => messages.length, total })

  const [first, second] = welcomes
  assert.ok(second, 'welcomed twice')
  assert.equal(second.restored, true, JSON.stringify(second))
  assert.notEqual(second.sid, first.sid)
  assert.deepEqual(second.restored_ids, [JSON.stringify({ channel: '$pubsub', stream_name: 'chat_s' })])
  assert.match(urls[1], new RegExp(`[?&]sid=${first.sid}(&|$)`), 'the reconnect carried the old sid')
  assert.equal(sent.filter(message => message.command === 'subscribe').length, 1, 'subscribed once')
  assert.ok(
    connects.some(connect => connect.restored === true && connect.reconnect === true),
    JSON.stringify(connects),
  )
  const expected = Array.from({ length: total }, (_, i) => i + 1)
  assert.deepEqual(
    messages.map(({ meta }) => meta.offset),
    expected,
  )
  assert.deepEqual(
    messages.map(({ message }) => message.n),
    expected,
  )
})

test('a restore with an expired token is refused, with another user\'s token not restored', async t => {
  welcomes.length = 0
  const { url } = await startServer(t, { publicStreams: true })
  const cable = client(t, url, {
    protocol: EXT,
    websocketImplementation: RecordingWebSocket,
    auth: { token: token({ user_id: 1 }) },
  })
  const channel = cable.streamFrom('chat_x')
  await channel.ensureSubscribed()
  const expiring = token({ user_id: 1 }, 1)
  const [{ sid }] = welcomes
  cable.disconnect()
  await sleep(2100)

  assert.deepEqual(await firstFrame(t, `${url}?sid=${sid}`, expiring), {
    type: 'disconnect',
    reason: 'token_expired',
    reconnect: false,
  })
  const foreign = await firstFrame(t, `${url}?sid=${sid}`, token({ user_id: 2 }))
  assert.equal(foreign.type, 'welcome')
  assert.equal(foreign.restored, undefined, JSON.stringify(foreign))
  // Neither attempt used the session up: its owner still gets it back.
  const owner = await firstFrame(t, `${url}?sid=${sid}`, token({ user_id: 1 }))
  assert.equal(owner.restored, true, JSON.stringify(owner))
})
