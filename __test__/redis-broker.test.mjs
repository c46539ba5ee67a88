// Faults of a cluster on the Redis broker, with real processes and the real @anycable/core client
// on the extended protocol: a node SIGKILLed under its client (the client comes back on another
// node and re-subscribes with history: every offset once, in order), a connection cut while its
// node lives (restored on another node), and a Redis restart (a new epoch, the old one rejected,
// broadcasts while Redis is down counted, every process alive).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import WebSocket from 'ws'
import { broadcastKey } from '../index.mjs'
import { SECRET, sleep, token, until } from './support/cable.mjs'
import { EXT, recordingClient } from './support/ext-client.mjs'
import { startRedis } from './support/redis.mjs'
import { cliNode, localNode } from './support/redis-nodes.mjs'
import { tcpProxy } from './support/tcp-proxy.mjs'

/**
 * A client on CLI node A (through a proxy) while in-process node B broadcasts 80 numbers; after
 * ten, the proxy sends new connections to B and cuts, and A is SIGKILLed first if `kill`.
 */
async function acrossANodeLoss(t, { kill }) {
  const redis = await startRedis(t)
  const a = await cliNode(t, redis)
  const b = await localNode(t, redis)
  const proxy = await tcpProxy(t, a.port)
  const recorded = await recordingClient(t, `ws://127.0.0.1:${proxy.port}/cable`, 'chat')
  const total = 80
  let published = 0
  const publishing = (async () => {
    while (published < total) {
      b.server.broadcast('chat', { n: ++published })
      await sleep(15)
    }
  })()
  await until(() => recorded.messages.length >= 10, 5000, 'ten messages before the loss')
  proxy.retarget(b.port)
  if (kill) a.child.kill('SIGKILL')
  proxy.cut()
  await publishing
  await until(() => recorded.messages.length >= total, 15000, 'every message after the reconnect')
  await sleep(300)
  const expected = Array.from({ length: total }, (_, i) => i + 1)
  assert.deepEqual(
    recorded.messages.map(({ message }) => message.n),
    expected,
    'every message once, in order',
  )
  const [first] = recorded.messages
  assert.deepEqual(
    recorded.messages.map(({ meta }) => meta.offset - first.meta.offset + 1),
    expected,
    'offsets one apart',
  )
  assert.ok(recorded.messages.every(({ meta }) => meta.epoch === first.meta.epoch), 'one epoch')
  return recorded
}

test('a SIGKILLed node: its client re-subscribes with history on another node, every offset once and in order', async t => {
  const { welcomes, sent } = await acrossANodeLoss(t, { kill: true })
  const [, second] = welcomes
  assert.ok(second, 'welcomed twice')
  assert.equal(second.restored, undefined, 'A never kept the session')
  const subscribes = sent.filter(message => message.command === 'subscribe')
  assert.equal(subscribes.length, 2, 'subscribed again')
  assert.ok(subscribes[1].history?.streams?.chat, JSON.stringify(subscribes[1]))
})

test('a cut connection whose node lives is restored on another node', async t => {
  const { welcomes, sent } = await acrossANodeLoss(t, { kill: false })
  const [first, second] = welcomes
  assert.ok(second, 'welcomed twice')
  assert.equal(second.restored, true, JSON.stringify(second))
  assert.notEqual(second.sid, first.sid)
  assert.equal(sent.filter(message => message.command === 'subscribe').length, 1, 'subscribed once')
})

/** The frames a raw extended-protocol client gets after subscribing to `stream` from `position`. */
async function subscribeFrom(t, url, stream, position) {
  const ws = new WebSocket(url, [EXT, `anycable-token.${token()}`])
  t.after(() => ws.terminate())
  const frames = []
  ws.on('message', data => frames.push(JSON.parse(String(data))))
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  const identifier = JSON.stringify({ channel: '$pubsub', stream_name: stream })
  ws.send(JSON.stringify({ command: 'subscribe', identifier, history: { streams: { [stream]: position } } }))
  return frames
}

test('a Redis restart: broadcasts counted while it is down, then a new epoch, the old one rejected, every process alive', async t => {
  const redis = await startRedis(t)
  const clis = [await cliNode(t, redis), await cliNode(t, redis)]
  const local = await localNode(t, redis)
  const remote = await recordingClient(t, clis[0].url, 'chat')
  const here = await recordingClient(t, local.url, 'chat')
  local.server.broadcast('chat', { n: 1 })
  await until(() => remote.messages.length === 1 && here.messages.length === 1, 5000, 'the first message everywhere')
  const oldEpoch = remote.messages[0].meta.epoch

  await redis.stop()
  await until(() => local.server.stats().redisConnected === false, 6000, 'stats() to show Redis gone')
  local.server.broadcast('chat', { n: 2 })
  await until(() => here.messages.length === 2, 5000, 'the local broadcast on this node')
  assert.deepEqual(here.messages[1].message, { n: 2 })
  assert.equal(here.messages[1].meta?.offset, undefined, 'no position while Redis is down')
  assert.ok(local.server.stats().redisDropped > 0)
  const response = await fetch(`http://127.0.0.1:${local.port}/_broadcast`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${broadcastKey(SECRET)}` },
    body: JSON.stringify({ stream: 'chat', data: JSON.stringify({ n: 3 }) }),
  })
  assert.equal(response.status, 503)
  assert.ok(local.server.stats().redisRefused > 0)

  await startRedis(t, redis.port)
  await until(() => local.server.stats().redisConnected === true, 10000, 'stats() to show Redis back')
  const before = remote.messages.length
  await until(
    async () => {
      local.server.broadcast('chat', { n: 4 })
      await sleep(200)
      return remote.messages.length > before
    },
    10000,
    'a live frame on the other node after the restart',
  )
  const live = remote.messages.at(-1)
  assert.equal(live.message.n, 4)
  assert.ok(live.meta.epoch && live.meta.epoch !== oldEpoch, 'a new epoch')

  const frames = await subscribeFrom(t, clis[1].url, 'chat', { epoch: oldEpoch, offset: 1 })
  await until(() => frames.some(frame => frame.type === 'reject_history'), 5000, 'reject_history for the old epoch')
  assert.ok(clis.every(cli => cli.child.exitCode === null), 'every node alive')
})
