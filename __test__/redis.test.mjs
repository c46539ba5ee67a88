// Three server processes on one Redis, real @anycable/core clients on each.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { broadcaster } from './support/serverless-js.mjs'
import { broadcastKey, createCableServer } from '../index.mjs'
import { SECRET, until, sleep, subscriber } from './support/cable.mjs'
import { runCli } from './support/cli.mjs'
import { startRedis } from './support/redis.mjs'

/** A node in another process (the CLI), resolving with its URL. */
async function cliNode(t, redis) {
  const node = runCli(t, ['--port=0', '--broadcast_adapter=redis', '--pubsub=redis'], {
    ANYCABLE_SECRET: SECRET,
    REDIS_URL: redis.url,
  })
  const url = await node.listening
  return { url, port: Number(new URL(url).port) }
}

/** A node in this process, for server.broadcast. */
async function localNode(t, redis) {
  const server = createCableServer({ port: 0, secret: SECRET, redisUrl: redis.url, broadcastAdapter: 'redis', pubsub: 'redis' })
  const info = await server.listen()
  t.after(() => server.close())
  return { server, ...info }
}


test('broadcasts from server.broadcast, /_broadcast and redis-cli PUBLISH reach every node exactly once, in order', async t => {
  const redis = await startRedis(t)
  const nodes = [await localNode(t, redis), await cliNode(t, redis), await cliNode(t, redis)]
  const inboxes = await Promise.all(nodes.map(node => subscriber(t, node.url, 'news')))

  for (let n = 0; n < 5; n++) nodes[0].server.broadcast('news', { from: 'node', n })
  const broadcast = broadcaster(`http://127.0.0.1:${nodes[1].port}/_broadcast`, broadcastKey(SECRET))
  for (let n = 0; n < 5; n++) await broadcast('news', { from: 'http', n })
  assert.equal(redis.publish('__anycable__', JSON.stringify({ stream: 'news', data: JSON.stringify({ from: 'redis', n: 0 }) })), 3)

  await until(() => inboxes.every(inbox => inbox.length >= 11), 10000, 'every node to receive 11 messages')
  await sleep(300)
  for (const inbox of inboxes) {
    assert.equal(inbox.length, 11, 'exactly once')
    for (const from of ['node', 'http']) {
      assert.deepEqual(inbox.filter(m => m.from === from).map(m => m.n), [0, 1, 2, 3, 4], `${from} in order`)
    }
    assert.deepEqual(inbox.filter(m => m.from === 'redis'), [{ from: 'redis', n: 0 }])
  }
  const { redisConnected, redisDropped } = nodes[0].server.stats()
  assert.deepEqual({ redisConnected, redisDropped }, { redisConnected: true, redisDropped: 0 })
})

const fifty = Array.from({ length: 50 }, (_, n) => `message ${n}`)

/** Broadcasts 50 numbers on `node` and expects all of them at `inbox` (on the same node) within 1.5 s. */
async function fiftyAtOnce(node, inbox) {
  for (const n of fifty) node.server.broadcast('s', n)
  await until(() => inbox.length >= 50, 1500, '50 local broadcasts within 1.5 s')
  assert.deepEqual(inbox.slice(0, 50), fifty)
}

/** Broadcasts probes on `node` until `inbox` (on another node) receives one; returns the probes sent. */
async function crossNodeAgain(node, inbox) {
  const probes = []
  await until(
    async () => {
      probes.push(`probe ${probes.length}`)
      node.server.broadcast('s', probes.at(-1))
      await sleep(250)
      return inbox.some(message => String(message).startsWith('probe'))
    },
    20000,
    'cross-node delivery without restarting the nodes',
  )
  return probes
}

function assertNoRepeats(inbox) {
  assert.equal(new Set(inbox.map(m => JSON.stringify(m))).size, inbox.length, `repeated: ${JSON.stringify(inbox)}`)
}

test('with Redis stalled (SIGSTOP) a node delivers its own broadcasts at once and once, and recovers after SIGCONT', async t => {
  const redis = await startRedis(t)
  const [local, remote] = [await localNode(t, redis), await cliNode(t, redis)]
  const [here, there] = [await subscriber(t, local.url, 's'), await subscriber(t, remote.url, 's')]

  redis.pause()
  await fiftyAtOnce(local, here)
  await until(() => local.server.stats().redisConnected === false, 6000, 'stats() to show the stall')

  redis.resume()
  const probes = await crossNodeAgain(local, there)
  await sleep(2000)
  assert.deepEqual(here, [...fifty, ...probes], 'nothing arrives twice here')
  assertNoRepeats(there)
  assert.equal(local.server.stats().redisConnected, true)
})

test('with Redis killed a node delivers its own broadcasts at once; a new Redis on the same port is used without restarts', async t => {
  const redis = await startRedis(t)
  const [local, remote] = [await localNode(t, redis), await cliNode(t, redis)]
  const [here, there] = [await subscriber(t, local.url, 's'), await subscriber(t, remote.url, 's')]

  await redis.stop()
  await fiftyAtOnce(local, here)
  await until(() => local.server.stats().redisConnected === false, 6000, 'stats() to show Redis gone')
  assert.ok(local.server.stats().redisDropped > 0, 'what the other nodes missed is counted')
  assert.deepEqual(there, [])

  await startRedis(t, redis.port)
  const probes = await crossNodeAgain(local, there)
  await sleep(1000)
  assert.deepEqual(here, [...fifty, ...probes], 'nothing arrives twice here')
  assertNoRepeats(there)
  assert.equal(local.server.stats().connections, 1, 'no process restart, clients still connected')
})

test('an unreachable Redis rejects listen() with a clear error; bad Redis options are TypeErrors', async () => {
  const server = createCableServer({ port: 0, secret: SECRET, redisUrl: 'redis://127.0.0.1:1', pubsub: 'redis' })
  await assert.rejects(server.listen(), /cannot reach Redis/)
  assert.throws(() => createCableServer({ pubsub: 'nats' }), TypeError)
  assert.throws(() => createCableServer({ broadcastAdapter: 'kafka' }), TypeError)
  assert.throws(() => createCableServer({ pubsub: 'redis', redisUrl: 'http://x' }), TypeError)
})
