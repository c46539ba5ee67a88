// The README's promises about misbehaving clients: ignored commands and a stalled reader cost
// nobody else anything.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { signStream } from '../index.mjs'
import { SECRET, startServer, client, token, collect, until, sleep } from './support/cable.mjs'
import { rawClient } from './support/raw-cable.mjs'

const pubsub = stream => ({ channel: '$pubsub', signed_stream_name: signStream(stream, SECRET) })

test('unknown commands, unknown identifiers and duplicate subscribes are ignored; nobody is disturbed', async t => {
  const { server, url } = await startServer(t)
  const bystander = rawClient(t, url, token())
  await bystander.welcomed()
  await bystander.subscribe(pubsub('calm'))
  const odd = rawClient(t, url, token())
  await odd.welcomed()
  const subscribed = JSON.stringify(pubsub('odd'))
  await odd.subscribe(pubsub('odd'))
  const ignored = [
    { command: 'bogus', identifier: subscribed },
    { command: 'history', identifier: subscribed, history: { since: 0 } },
    { identifier: subscribed },
    { command: 'message', identifier: JSON.stringify(pubsub('never-subscribed')), data: '{"action":"x"}' },
    { command: 'unsubscribe', identifier: JSON.stringify(pubsub('never-subscribed')) },
    { command: 'subscribe', identifier: subscribed },
  ]
  for (const command of ignored) odd.send(command)
  // Still served, in order: a subscribe sent after them is answered, broadcasts arrive once.
  assert.equal((await odd.subscribe(pubsub('after'))).type, 'confirm_subscription')
  server.broadcast('odd', 'once')
  server.broadcast('after', 'last')
  await odd.frame(frame => frame.message === 'last', 5000, 'the last broadcast')
  assert.deepEqual(
    odd.frames.filter(frame => frame.message === 'once').length,
    1,
    'a duplicate subscribe does not double delivery',
  )
  const answers = odd.frames.filter(frame => frame.identifier === subscribed && /subscription/.test(frame.type ?? ''))
  assert.equal(answers.length, 1, `one answer to the duplicated subscribe: ${JSON.stringify(answers)}`)
  assert.equal(odd.ws.readyState, odd.ws.OPEN)
  server.broadcast('calm', 'still here')
  await bystander.frame(frame => frame.message === 'still here', 5000, 'the bystander’s broadcast')
})

test('too_slow: a client that never reads is disconnected; the others receive every broadcast', async t => {
  const { server, url } = await startServer(t)
  const slow = rawClient(t, url, token())
  await slow.welcomed()
  assert.equal((await slow.subscribe(pubsub('flood'))).type, 'confirm_subscription')
  slow.ws.pause()

  const cable = client(t, url, { auth: { token: token() } })
  const channel = cable.streamFromSigned(signStream('flood', SECRET))
  const received = collect(channel)
  await channel.ensureSubscribed()
  assert.equal(server.stats().connections, 2)

  // Rounds of broadcasts paced by the reading client, so only the stalled one falls behind.
  const padding = 'x'.repeat(16 * 1024)
  let sent = 0
  const deadline = Date.now() + 60_000
  while (server.stats().connections === 2) {
    assert.ok(Date.now() < deadline, `the stalled client was still connected after ${sent} broadcasts`)
    // 256 KiB a round: well inside any one client's queue, so the reading client keeps up.
    for (let i = 0; i < 16; i++) server.broadcast('flood', { n: sent++, padding })
    await until(() => received.length === sent || server.stats().connections < 2, 20_000, `broadcast ${sent}`)
    await sleep(10)
  }
  await until(() => received.length === sent, 20_000, 'every broadcast at the reading client')
  assert.deepEqual(
    received.map(message => message.n),
    Array.from({ length: sent }, (_, n) => n),
  )
  assert.equal(cable.state, 'connected')
  t.diagnostic(`the stalled client was disconnected after ${sent} broadcasts of 16 KiB`)
})
