// The redisx broadcast adapter: CLI nodes reading `redis-cli XADD` entries (what the AnyCable Ruby
// and JS SDKs send) through a consumer group, real @anycable/core clients on each.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import { SECRET, until, sleep, subscriber } from './support/cable.mjs'
import { runCli } from './support/cli.mjs'
import { startRedis } from './support/redis.mjs'

const run = promisify(execFile)
const LEASE = '$acrs:redisx:__anycable__:bx'

/** `redis-cli <args>` against the test's Redis, its reply as text. */
function redisCli(redis, ...args) {
  return execFileSync('redis-cli', ['-p', String(redis.port), ...args], { encoding: 'utf8' }).trim()
}

/** `XADD __anycable__ * payload <publication>`, as the SDKs' redisx adapter does, without blocking the event loop. */
function xadd(redis, publication) {
  return run('redis-cli', ['-p', String(redis.port), 'XADD', '__anycable__', '*', 'payload', JSON.stringify(publication)])
}

const publication = (stream, data) => ({ stream, data: JSON.stringify(data) })

async function redisxNode(t, redis, ...flags) {
  const node = runCli(t, ['--port=0', '--broadcast_adapter=redisx', ...flags], { ANYCABLE_SECRET: SECRET, REDIS_URL: redis.url })
  node.url = await node.listening
  return node
}

test('redis-cli XADD entries, single and batched, reach an @anycable/core client once and leave the stream empty', async t => {
  const redis = await startRedis(t)
  const node = await redisxNode(t, redis)
  assert.match(node.output(), /redisx broadcasts: stream __anycable__/)
  const inbox = await subscriber(t, node.url, 'news')

  await xadd(redis, publication('news', { n: 1 }))
  await xadd(redis, [publication('news', { n: 2 }), publication('elsewhere', 0), publication('news', { n: 3 })])
  await until(() => inbox.length >= 3, 5000, 'three messages')
  await sleep(300)
  assert.deepEqual(inbox, [{ n: 1 }, { n: 2 }, { n: 3 }])
  assert.equal(redisCli(redis, 'XLEN', '__anycable__'), '0', 'taken entries are deleted')
})

/**
 * Three nodes started with `flags` and a client on each; 100 entries added 20 ms apart, the
 * reading node SIGKILLed after the 20th. Returns the survivors' inboxes once each has every entry.
 */
async function killTheReaderMidStream(t, redis, flags) {
  const nodes = []
  for (let i = 0; i < 3; i++) nodes.push(await redisxNode(t, redis, ...flags))
  const inboxes = await Promise.all(nodes.map(node => subscriber(t, node.url, 's')))
  await until(() => redisCli(redis, 'GET', LEASE) !== '', 5000, 'a node to take the lease')

  let holder
  for (let n = 1; n <= 100; n++) {
    await xadd(redis, publication('s', n))
    if (n === 20) {
      const consumer = redisCli(redis, 'GET', LEASE)
      holder = nodes.find(node => node.output().includes(`as consumer ${consumer}`))
      assert.ok(holder, `a node reads as ${consumer}`)
      holder.child.kill('SIGKILL')
    }
    await sleep(20)
  }

  const survivors = inboxes.filter((_, i) => nodes[i] !== holder)
  assert.equal(survivors.length, 2)
  const distinct = inbox => inbox.filter((n, i) => inbox.indexOf(n) === i)
  await until(() => survivors.every(inbox => distinct(inbox).length >= 100), 20000, 'every entry on both survivors')
  await sleep(500)
  assert.equal(redisCli(redis, 'XLEN', '__anycable__'), '0')
  return survivors
}

const ALL = Array.from({ length: 100 }, (_, i) => i + 1)

test('the reading node SIGKILLed mid-stream: another takes over and every entry arrives, only the one in flight possibly twice', async t => {
  const survivors = await killTheReaderMidStream(t, await startRedis(t), ['--pubsub=redis'])
  for (const inbox of survivors) {
    const repeats = inbox.filter((n, i) => i > 0 && inbox[i - 1] === n)
    assert.deepEqual(
      inbox.filter((n, i) => i === 0 || inbox[i - 1] !== n),
      ALL,
      'each entry, in order',
    )
    assert.ok(repeats.length <= 1, `only the entry in flight may repeat, got ${JSON.stringify(repeats)}`)
  }
})

test("with broker 'redis' the reading node SIGKILLed mid-stream: every survivor gets each entry exactly once, in order", async t => {
  const survivors = await killTheReaderMidStream(t, await startRedis(t), ['--broker=redis'])
  for (const inbox of survivors) assert.deepEqual(inbox, ALL, 'each entry once, in order')
})
