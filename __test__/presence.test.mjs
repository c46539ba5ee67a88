// Presence with the real @anycable/core client on the extended protocol: `channel.presence.join`,
// `await presence.info()`, `presence` events and `leave()`; the `leave` everyone sees `presenceTtl`
// after a client goes away; and `server.presence(stream)` from Node.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, next, sleep } from './support/cable.mjs'
import { extClient } from './support/ext-client.mjs'

/** An extended-protocol client subscribed to the public stream `stream`; resolves its channel. */
async function present(t, url, stream) {
  const cable = extClient(t, url)
  const channel = cable.streamFrom(stream)
  await channel.ensureSubscribed()
  return { cable, channel }
}

/** The `presence` events of `channel` (the `message` objects), as they come. */
function events(channel) {
  const seen = []
  channel.on('presence', event => seen.push(event))
  return seen
}

test('scenario 52: join, info, presence events and leave through the JS presence API', async t => {
  const { url } = await startServer(t, { publicStreams: true })
  const ann = await present(t, url, 'chat_42')
  const bob = await present(t, url, 'chat_42')
  const bobSees = events(bob.channel)
  assert.deepEqual(await bob.channel.presence.info(), {})

  const joined = next(bob.channel, 'presence')
  await ann.channel.presence.join('u1', { name: 'Ann' })
  assert.deepEqual(await joined, { type: 'join', id: 'u1', info: { name: 'Ann' } })
  // The client keeps its state up to date from the events, and a fresh client asks the server.
  assert.deepEqual(await bob.channel.presence.info(), { u1: { name: 'Ann' } })
  const carl = await present(t, url, 'chat_42')
  assert.deepEqual(await carl.channel.presence.info(), { u1: { name: 'Ann' } })

  const left = next(bob.channel, 'presence')
  await ann.channel.presence.leave()
  assert.deepEqual(await left, { type: 'leave', id: 'u1' })
  assert.deepEqual(await bob.channel.presence.info(), {})
  assert.deepEqual(
    bobSees.map(event => event.type),
    ['info', 'join', 'leave'],
  )
})

test('a client that goes away leaves presenceTtl later, not at once', async t => {
  const { url } = await startServer(t, { publicStreams: true, presenceTtl: 2 })
  const ann = await present(t, url, 'chat_42')
  const bob = await present(t, url, 'chat_42')
  const bobSees = events(bob.channel)
  const joined = next(bob.channel, 'presence')
  await ann.channel.presence.join('u1', { name: 'Ann' })
  await joined

  const wentAway = Date.now()
  const left = next(bob.channel, 'presence', 6000)
  ann.cable.disconnect()
  await sleep(1000)
  assert.deepEqual(bobSees.map(event => event.type), ['join'], 'still present a second later')
  assert.deepEqual(await left, { type: 'leave', id: 'u1' })
  const after = Date.now() - wentAway
  assert.ok(after >= 1500 && after < 5000, `left ${after} ms after going away`)
})

test('server.presence(stream) says who is present, with their info parsed', async t => {
  const { server, url } = await startServer(t, { publicStreams: true })
  assert.deepEqual(await server.presence('chat_42'), { total: 0, records: [] })
  const ann = await present(t, url, 'chat_42')
  const bob = await present(t, url, 'chat_42')
  const joined = next(bob.channel, 'presence')
  await ann.channel.presence.join('u1', { name: 'Ann' })
  await joined
  const alsoJoined = next(ann.channel, 'presence')
  await bob.channel.presence.join('u2')
  await alsoJoined
  const presence = await server.presence('chat_42')
  presence.records.sort((a, b) => a.id.localeCompare(b.id))
  assert.deepEqual(presence, {
    total: 2,
    records: [{ id: 'u1', info: { name: 'Ann' } }, { id: 'u2' }],
  })
  await assert.rejects(server.presence(''), TypeError)
  await assert.rejects(server.presence(42), TypeError)
})

test('server.presence rejects without a broker or while not listening', async t => {
  const { server } = await startServer(t, { broker: 'none' })
  await assert.rejects(server.presence('chat_42'), /broker/)
  await server.close()
  await assert.rejects(server.presence('chat_42'), /not listening/)
})
