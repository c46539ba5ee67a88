// Keepalive and live token expiry with the real @anycable/core client on the extended protocol:
// pongs keep a session alive under pongTimeout (scenario 8 of the spec), and with
// disconnectOnTokenExpiry a session ends with token_expired when its token expires, after which
// the client's tokenRefresher brings it back.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { signStream } from '../index.mjs'
import { SECRET, startServer, client, token, collect, next, until, sleep } from './support/cable.mjs'

const EXT = 'actioncable-v1-ext-json'

/** The commands `cable` sends from now on. */
function sentCommands(cable) {
  const commands = []
  const send = cable.send.bind(cable)
  cable.send = msg => {
    commands.push(msg.command)
    return send(msg)
  }
  return commands
}

describe('pongs', () => {
  test('a client sending pongs stays under pongTimeout, while a silent one is cut with no_pong', async t => {
    const { url, server } = await startServer(t, { pongTimeout: 1 })
    const answering = client(t, `${url}?pi=1`, {
      protocol: EXT,
      protocolOptions: { pongs: true },
      auth: { token: token() },
    })
    const commands = sentCommands(answering)
    const silent = client(t, `${url}?pi=1`, { protocol: EXT, auth: { token: token() } })
    const cut = next(silent, 'disconnect', 5000)
    await Promise.all([answering.connect(), silent.connect()])
    assert.equal((await cut).reason, 'no_pong')
    // Several pings and their timeouts later, the answering client is still there.
    await sleep(3000)
    assert.equal(answering.state, 'connected')
    assert.ok(commands.filter(command => command === 'pong').length >= 3, `${commands}`)
    assert.equal(server.stats().connections, 1)
  })
})

describe('disconnectOnTokenExpiry', () => {
  test('an expiring token ends the session with token_expired; the refreshed client resubscribes and receives', async t => {
    const { url, server } = await startServer(t, { disconnectOnTokenExpiry: true })
    let refreshed = 0
    const cable = client(t, url, {
      protocol: EXT,
      auth: { token: token({ user_id: 7 }, 2) },
      monitor: undefined,
      tokenRefresher: async transport => {
        refreshed++
        transport.setToken(token({ user_id: 7 }))
      },
    })
    const channel = cable.streamFromSigned(signStream('expiry/1', SECRET))
    const messages = collect(channel)
    await channel.ensureSubscribed()
    server.broadcast('expiry/1', { n: 1 })
    await until(() => messages.length === 1, 5000, 'the first broadcast')

    const closed = await next(cable, 'close', 5000)
    assert.equal(closed.reason, 'token_expired')
    await next(cable, 'connect', 5000)
    assert.equal(refreshed, 1)
    await until(() => server.stats().subscriptions === 1, 5000, 'the subscription again')
    server.broadcast('expiry/1', { n: 2 })
    await until(() => messages.length === 2, 5000, 'the broadcast after the refresh')
    assert.deepEqual(messages, [{ n: 1 }, { n: 2 }])
  })

  test('without it a session outlives its token, as in AnyCable', async t => {
    const { url, server } = await startServer(t)
    const cable = client(t, url, { protocol: EXT, auth: { token: token({ user_id: 7 }, 1) } })
    const channel = cable.streamFromSigned(signStream('expiry/2', SECRET))
    const messages = collect(channel)
    await channel.ensureSubscribed()
    await sleep(1500)
    assert.equal(cable.state, 'connected')
    server.broadcast('expiry/2', { n: 1 })
    await until(() => messages.length === 1, 5000, 'the broadcast')
  })
})
