// Session resumption with the real @anycable/core client on the extended protocol: a dropped
// connection comes back restored (no subscribe again) and, through the history it asks for right
// after the restored welcome, with every offset once and in order; and the decided rules: an
// expired token is refused whatever sid it carries, another user's token restores nothing; and
// after the server says `server_restart` the client does not ask to be restored (scenario 39).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import WebSocket from 'ws'
import { createCableServer } from '../index.mjs'
import { SECRET, startServer, next, sleep, token, until } from './support/cable.mjs'
import { EXT, recordingClient } from './support/ext-client.mjs'
import { tcpProxy, broadcastAcrossACut } from './support/tcp-proxy.mjs'

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
  const { server, port } = await startServer(t, { publicStreams: true })
  const proxy = await tcpProxy(t, port)
  const { welcomes, urls, sent, messages, connects } = await recordingClient(
    t,
    `ws://127.0.0.1:${proxy.port}/cable`,
    'chat_s',
  )

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
  const { url } = await startServer(t, { publicStreams: true })
  const { cable, welcomes } = await recordingClient(t, url, 'chat_x', { token: token({ user_id: 1 }) })
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
  const first = createCableServer({ port: 0, secret: SECRET, publicStreams: true })
  const { url, port } = await first.listen()
  const { cable, welcomes, urls, sent, messages, infos } = await recordingClient(t, url, 'chat_r')
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
