// Per-connection bounds and public stream prefixes as JS and CLI options: type checks that name
// the option, and each option reaching the server.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createCableServer } from '../index.mjs'
import { client, startServer, token, SECRET } from './support/cable.mjs'
import { runCli } from './support/cli.mjs'

test('the bound options are TypeErrors naming the option when invalid', () => {
  const invalid = {
    maxSubscriptions: [0, 1.5, '10', 2 ** 32],
    maxOutgoingBytes: [0, -1, '1MB'],
    commandRate: [0, 0.5, Infinity],
    publicStreamsPrefix: ['', ' , ', [], [''], ['public/', ''], 5, [5]],
  }
  for (const [name, values] of Object.entries(invalid)) {
    for (const value of values) {
      assert.throws(
        () => createCableServer({ secret: SECRET, [name]: value }),
        error => error instanceof TypeError && error.message.includes(name),
        `${name}: ${JSON.stringify(value)}`,
      )
    }
  }
})

/** Subscribes to a public stream; resolves true when confirmed, false when rejected. */
const subscribed = (cable, stream) =>
  cable
    .streamFrom(stream)
    .ensureSubscribed()
    .then(
      () => true,
      () => false,
    )

test('publicStreamsPrefix: only names with a listed prefix are public', async t => {
  for (const publicStreamsPrefix of [['public/', 'open/'], 'public/, open/']) {
    const { url } = await startServer(t, { publicStreams: true, publicStreamsPrefix })
    const cable = client(t, url, { auth: { token: token() } })
    assert.equal(await subscribed(cable, 'public/lobby'), true)
    assert.equal(await subscribed(cable, 'open/hall'), true)
    assert.equal(await subscribed(cable, 'chat/42'), false, 'a name behind a signed stream')
  }
})

test('maxSubscriptions rejects subscriptions over the cap and keeps the connection', async t => {
  const { url } = await startServer(t, { publicStreams: true, maxSubscriptions: 2 })
  const cable = client(t, url, { auth: { token: token() } })
  assert.equal(await subscribed(cable, 'a'), true)
  assert.equal(await subscribed(cable, 'b'), true)
  assert.equal(await subscribed(cable, 'c'), false)
  assert.equal(cable.state, 'connected')
})

test('commandRate: a burst of subscribes beyond the rate waits for the budget', async t => {
  const { url } = await startServer(t, { publicStreams: true, commandRate: 5 })
  const cable = client(t, url, { auth: { token: token() } })
  await cable.connect()
  const started = performance.now()
  const results = await Promise.all(Array.from({ length: 10 }, (_, n) => subscribed(cable, `s${n}`)))
  const elapsed = performance.now() - started
  assert.deepEqual(results, Array(10).fill(true))
  // 5 at once, then one every 200 ms: the tenth is read about a second later.
  assert.ok(elapsed >= 900, `10 subscribes at 5/s took ${elapsed} ms`)
})

test('the CLI takes the bounds as flags and ANYCABLE_* variables', async t => {
  const cli = runCli(
    t,
    ['--port=0', '--public_streams', '--max_subscriptions=2', '--command_rate=50', '--max_outgoing_bytes=65536'],
    { ANYCABLE_SECRET: SECRET, ANYCABLE_PUBLIC_STREAMS_PREFIX: 'public/,open/' },
  )
  const url = await cli.listening
  const cable = client(t, url, { auth: { token: token() } })
  assert.equal(await subscribed(cable, 'chat/42'), false, 'outside the prefixes')
  assert.equal(await subscribed(cable, 'public/a'), true)
  assert.equal(await subscribed(cable, 'open/b'), true)
  assert.equal(await subscribed(cable, 'public/c'), false, 'over --max_subscriptions')
})
