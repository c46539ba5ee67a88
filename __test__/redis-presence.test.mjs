// Presence across nodes of the Redis broker, with the real @anycable/core client: a user who
// joined on one node is listed on every node, every node's watchers see one `join`, and when the
// node dies (SIGKILL, so it never says goodbye) each watcher sees exactly one `leave` once the
// presence ttl has passed, although every surviving node sweeps.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { next, sleep, until } from './support/cable.mjs'
import { startRedis } from './support/redis.mjs'
import { extClient } from './support/ext-client.mjs'
import { cliNode, localNode } from './support/redis-nodes.mjs'

/** An extended-protocol client subscribed to the public stream `stream`; resolves its channel. */
async function present(t, url, stream) {
  const cable = extClient(t, url)
  const channel = cable.streamFrom(stream)
  await channel.ensureSubscribed()
  const seen = []
  // `info` replies come as presence events too; only changes are counted.
  channel.on('presence', event => event.type !== 'info' && seen.push(event))
  return { cable, channel, seen }
}

test('u1 on a node that is SIGKILLed: listed everywhere, then one leave per watcher', async t => {
  const redis = await startRedis(t)
  const a = await cliNode(t, redis, ['--presence_ttl=2'])
  const b = await localNode(t, redis, { presenceTtl: 2 })
  const c = await localNode(t, redis, { presenceTtl: 2 })
  const ann = await present(t, a.url, 'room')
  const watchers = [await present(t, b.url, 'room'), await present(t, c.url, 'room')]

  await ann.channel.presence.join('u1', { name: 'Ann' })
  await until(() => watchers.every(watcher => watcher.seen.length >= 1), 5000, 'a join on every node')
  assert.deepEqual(await watchers[0].channel.presence.info(), { u1: { name: 'Ann' } })
  assert.deepEqual(await b.server.presence('room'), { total: 1, records: [{ id: 'u1', info: { name: 'Ann' } }] })
  assert.deepEqual(await c.server.presence('room'), { total: 1, records: [{ id: 'u1', info: { name: 'Ann' } }] })

  const killed = Date.now()
  a.child.kill('SIGKILL')
  await Promise.all(watchers.map(watcher => next(watcher.channel, 'presence', 8000)))
  const after = Date.now() - killed
  assert.ok(after >= 1500 && after < 5500, `left ${after} ms after the node died`)
  await sleep(3000)
  for (const watcher of watchers) {
    assert.deepEqual(watcher.seen, [
      { type: 'join', id: 'u1', info: { name: 'Ann' } },
      { type: 'leave', id: 'u1' },
    ])
  }
  assert.deepEqual(await b.server.presence('room'), { total: 0, records: [] })
})
