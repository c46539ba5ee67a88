// Session resumption with the real @anycable/core client on the extended protocol: a dropped
// connection comes back restored (no subscribe again) and, through the history it asks for right
// after the restored welcome, with every offset once and in order; and the decided rules: an
// expired token is refused whatever sid it carries, another user's token restores nothing; and
// after the server says `server_restart` the client does not ask to be restored (scenario 39).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import WebSocket from 'ws'
import { createCableServer } from '../index.mjs'
import { SECRET, startServer, client, next, sleep, token, until } from './support/cable.mjs'
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

test('after a server_restart disconnect the client is not restored: it subscribes again with history', async t => {
  welcomes.length = 0
  urls.length = 0
  const first = createCableServer({ port: 0, secret: SECRET, publicStreams: true })
  const { url, port } = await first.listen()
  const cable = client(t, url, {
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
  const channel = cable.streamFrom('chat_r')
  const messages = []
  const infos = []
  channel.on('message', (message, meta) => messages.push({ message, meta }))
  channel.on('info', info => infos.push(info))
  await channel.ensureSubscribed()
  first.broadcast('chat_r', { n: 1 })
  await until(() => messages.length === 1)
  const disconnected = next(cable, 'disconnect')
  await first.close()
  assert.equal((await disconnected).reason, 'server_restart')

  // A new process on the same port: its broker knows neither the old sid nor the old epoch.
  const second = createCableServer({ port, secret: SECRET, publicStreams: true })
  await second.listen()
  t.after(() => second.close())
  await until(() => infos.some(info => info.type === 'history_not_found'), 10000, 'reject_history')
  second.broadcast('chat_r', { n: 2 })
  await until(() => messages.length === 2)

  const [before, after] = welcomes
  assert.ok(after, 'welcomed twice')
  assert.equal(after.restored, undefined, JSON.stringify(after))
  assert.doesNotMatch(urls[1], new RegExp(`sid=${before.sid}`), 'the reconnect did not ask for the old sid')
  const subscribes = sent.filter(message => message.command === 'subscribe')
  assert.equal(subscribes.length, 2, 'subscribed again')
  assert.deepEqual(subscribes[1].history.streams, {
    chat_r: { epoch: messages[0].meta.epoch, offset: 1 },
  })
  assert.deepEqual(
    messages.map(({ message }) => message.n),
    [1, 2],
  )
  assert.notEqual(messages[1].meta.epoch, messages[0].meta.epoch, 'a new process, a new epoch')
})
