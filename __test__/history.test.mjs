// Reliable streams with the real @anycable/core client on the extended protocol: offsets in
// `meta`, history on the first subscribe, and nothing lost or repeated across a dropped connection.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, until, token } from './support/cable.mjs'
import { extClient } from './support/ext-client.mjs'
import { rawClient } from './support/raw-cable.mjs'
import { tcpProxy, broadcastAcrossACut } from './support/tcp-proxy.mjs'

/** Every `message` of `channel` with its `meta`, and every `info` and `connect` event, in order. */
function record(channel) {
  const messages = []
  const events = []
  channel.on('message', (message, meta) => messages.push({ message, meta }))
  channel.on('info', info => events.push(['info', info.type]))
  channel.on('connect', connect => events.push(['connect', connect]))
  return { messages, events }
}

test('scenario 27: the first subscribe carries history; messages carry stream, epoch and offset', async t => {
  const { server, url } = await startServer(t, { publicStreams: true })
  const cable = extClient(t, url)
  const sent = []
  const send = cable.send.bind(cable)
  cable.send = message => {
    sent.push(message)
    return send(message)
  }
  const channel = cable.streamFrom('chat_42')
  const { messages, events } = record(channel)
  await channel.ensureSubscribed()
  const subscribe = sent.find(message => message.command === 'subscribe')
  assert.equal(typeof subscribe.history.since, 'number')
  assert.deepEqual(subscribe.history.streams, {})
  await until(() => events.length >= 2, 5000, 'history_received and connect')
  // Both, in an order that depends on the client's ticks, not on the server.
  assert.deepEqual(
    [...events].sort(([a], [b]) => a.localeCompare(b)),
    [
      ['connect', { reconnect: false, restored: false }],
      ['info', 'history_received'],
    ],
  )

  server.broadcast('chat_42', { text: 'hi' })
  server.broadcast('chat_42', { text: 'again' })
  await until(() => messages.length === 2)
  const [first, second] = messages
  assert.deepEqual(first.message, { text: 'hi' })
  assert.equal(first.meta.stream, 'chat_42')
  assert.match(first.meta.epoch, /^[\w-]{4}$/)
  assert.deepEqual(second.meta, { stream: 'chat_42', epoch: first.meta.epoch, offset: first.meta.offset + 1 })
})

test('a dropped connection without restore: the client re-subscribes with history and gets every offset once, in order', async t => {
  const { server, port } = await startServer(t, { publicStreams: true, sessionsTtl: 0 })
  const proxy = await tcpProxy(t, port)
  const cable = extClient(t, `ws://127.0.0.1:${proxy.port}/cable`, {
    monitor: undefined,
    reconnectStrategy: () => 100,
  })
  const channel = cable.streamFrom('chat_r')
  const { messages, events } = record(channel)
  await channel.ensureSubscribed()

  const total = 60
  await broadcastAcrossACut({ server, stream: 'chat_r', proxy, received: () => messages.length, total })

  const offsets = messages.map(({ meta }) => meta.offset)
  assert.deepEqual(
    offsets,
    Array.from({ length: total }, (_, i) => i + 1),
  )
  assert.deepEqual(
    messages.map(({ message }) => message.n),
    Array.from({ length: total }, (_, i) => i + 1),
  )
  assert.ok(
    events.some(([kind, event]) => kind === 'connect' && event.reconnect === true),
    'the channel reconnected',
  )
  assert.equal(events.filter(([, event]) => event === 'history_received').length, 2, 'history on both subscribes')
})

test('transient broadcasts carry no offset and are not replayed', async t => {
  const { server, url } = await startServer(t, { publicStreams: true })
  const identifier = JSON.stringify({ channel: '$pubsub', stream_name: 'chat_t' })
  const live = rawClient(t, url, token())
  await live.welcomed()
  await live.subscribe({ channel: '$pubsub', stream_name: 'chat_t' })
  server.broadcast('chat_t', { kept: true })
  server.broadcast('chat_t', { typing: true }, { transient: true })
  const kept = await live.frame(f => f.message?.kept)
  const transient = await live.frame(f => f.message?.typing)
  assert.equal(kept.offset, 1)
  assert.equal(kept.stream_id, 'chat_t')
  assert.deepEqual(Object.keys(transient).sort(), ['at', 'identifier', 'message'])

  const late = rawClient(t, url, token())
  await late.welcomed()
  late.send({ command: 'subscribe', identifier, history: { since: Math.floor(Date.now() / 1000) - 30 } })
  await late.frame(f => f.type === 'confirm_history')
  const data = late.frames.filter(f => f.identifier === identifier && f.message !== undefined)
  assert.deepEqual(
    data.map(f => f.message),
    [{ kept: true }],
  )
})

test('broadcast options are checked: unknown names and wrong types are TypeErrors', async t => {
  const { server } = await startServer(t)
  for (const options of [{ transiant: true }, { transient: 'yes' }, { excludeSocket: 42 }, 'transient', null, []]) {
    assert.throws(() => server.broadcast('s', 1, options), TypeError, JSON.stringify(options))
  }
  server.broadcast('s', 1, { transient: false, excludeSocket: 'sid' })
  server.broadcast('s', 1, {})
})
