// The README's promises about application channels: at most rpcConcurrency calls in flight, each
// session's commands in order without blocking other sessions, and the 5 s rpcTimeout default.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Application, Channel } from './support/serverless-js.mjs'
import { rpcEndpoint } from './support/rpc-endpoint.mjs'
import { SECRET, startServer, token, until, sleep } from './support/cable.mjs'
import { rawClient } from './support/raw-cable.mjs'

/** An application whose channel records what runs when, and for how long calls overlap. */
function probeApp() {
  const log = { inFlight: 0, maxInFlight: 0, steps: {}, hung: [] }
  class ProbeChannel extends Channel {
    async subscribed(handle, params) {
      log.inFlight++
      log.maxInFlight = Math.max(log.maxInFlight, log.inFlight)
      try {
        // Held where the test can reach it, as a real pending call is (an unreachable promise that
        // can never settle is garbage-collected, and the call then fails before rpcTimeout).
        if (params.hang) await new Promise(resolve => log.hung.push(resolve))
        await sleep(params.hold ?? 0)
      } finally {
        log.inFlight--
      }
      handle.streamFrom(`probe:${params.room}`)
    }

    async step(handle, params, data) {
      const session = (log.steps[data.who] ??= { started: [], finished: [], inFlight: 0, maxInFlight: 0 })
      session.started.push(data.n)
      session.maxInFlight = Math.max(session.maxInFlight, ++session.inFlight)
      await sleep(data.minDelay + Math.random() * data.jitter)
      session.inFlight--
      session.finished.push(data.n)
    }

    async quick(handle) {
      handle.transmit({ quick: true })
    }
  }
  /** Every part of an answer the README says is honoured, driven by the client's performs. */
  class FeaturesChannel extends Channel {
    async subscribed(handle) {
      handle.streamFrom('features:a').streamFrom('features:b')
      handle.state = { count: 0 }
      handle.transmit({ hello: true })
    }

    async bump(handle) {
      handle.state.count++
      handle.transmit({ count: handle.state.count })
    }

    async remember(handle, params, data) {
      handle.env.cstate = { ...handle.env.cstate, note: data.note }
      handle.transmit({ remembered: true })
    }

    async recall(handle) {
      handle.transmit({ note: handle.env.cstate?.note })
    }

    async stopA(handle) {
      handle.stopStreamFrom('features:a').transmit({ stopped: 'a' })
    }

    async stopAll(handle) {
      handle.stopAllStreams().transmit({ stopped: 'all' })
    }

    async leave(handle) {
      handle.delegate.close()
    }
  }
  class ProbeApplication extends Application {
    async connect(handle) {
      log.connects = (log.connects ?? 0) + 1
      handle.identifiedBy({ anonymous: true })
    }
  }
  const app = new ProbeApplication()
  app.registerChannel('probe', new ProbeChannel())
  app.registerChannel('features', new FeaturesChannel())
  return { app, log }
}

/** `count` welcomed raw clients. */
async function clients(t, url, count) {
  const all = Array.from({ length: count }, (_, i) => rawClient(t, url, token({ user_id: i })))
  await Promise.all(all.map(client => client.welcomed()))
  return all
}

/** The CLI serving with `args`; resolves once it listens, with its URL and what it wrote to stderr. */
async function cliServer(t, args) {
  const bin = fileURLToPath(new URL('../bin/anycable-rs.js', import.meta.url))
  const child = spawn(process.execPath, [bin, '--port=0', ...args], {
    env: { PATH: process.env.PATH, ANYCABLE_SECRET: SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.after(() => child.kill('SIGKILL'))
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => (stdout += chunk))
  child.stderr.on('data', chunk => (stderr += chunk))
  await until(() => /listening on/.test(stdout), 10_000, 'the start-up line')
  return { url: /listening on (ws:\/\/\S+)/.exec(stdout)[1], stderr: () => stderr }
}

const probe = params => ({ channel: 'probe', ...params })

for (const mode of ['in-process', 'rpcHost']) {
  describe(`application calls (${mode})`, () => {
    async function setup(t, options = {}) {
      const { app, log } = probeApp()
      const endpoint = mode === 'rpcHost' ? await rpcEndpoint(app) : undefined
      const { server, url } = await startServer(t, { ...(endpoint ? { rpcHost: endpoint.url } : { application: app }), ...options })
      // After the cable server's close (hooks run in order), so sessions can still call disconnect.
      if (endpoint) t.after(endpoint.close)
      return { server, url, log }
    }

    test('transmissions, streams, stopped streams, stop_streams, channel and connection state, disconnect', async t => {
      const { server, url } = await setup(t)
      const [client] = await clients(t, url, 1)
      const identifier = JSON.stringify({ channel: 'features' })
      const messages = () => client.frames.filter(frame => frame.identifier === identifier && frame.message).map(frame => frame.message)
      const perform = action => client.send({ command: 'message', identifier, data: JSON.stringify(action) })
      /** Broadcasts to both streams, then a marker on b; resolves with what arrived. */
      const broadcastBoth = async mark => {
        const before = messages().length
        server.broadcast('features:a', { mark, on: 'a' })
        server.broadcast('features:b', { mark, on: 'b' })
        server.broadcast('features:b', { mark, last: true })
        await client.frame(frame => frame.identifier === identifier && frame.message?.mark === mark && frame.message.last, 5000, `marker ${mark}`)
        return messages().slice(before).filter(message => !message.last)
      }
      const reply = async (action, key) => {
        const before = messages().length
        perform(action)
        await until(() => messages().slice(before).some(message => key in message), 5000, `the reply to ${action.action}`)
        return messages().slice(before).find(message => key in message)
      }

      assert.equal((await client.subscribe({ channel: 'features' })).type, 'confirm_subscription')
      await client.frame(frame => frame.message?.hello === true, 5000, 'the transmission')
      assert.deepEqual(await broadcastBoth(1), [{ mark: 1, on: 'a' }, { mark: 1, on: 'b' }])

      assert.deepEqual(await reply({ action: 'bump' }, 'count'), { count: 1 })
      assert.deepEqual(await reply({ action: 'bump' }, 'count'), { count: 2 }, 'channel state (istate) comes back')
      await reply({ action: 'remember', note: 'kept' }, 'remembered')
      assert.deepEqual(await reply({ action: 'recall' }, 'note'), { note: 'kept' }, 'connection state (cstate) comes back')

      await reply({ action: 'stopA' }, 'stopped')
      assert.deepEqual(await broadcastBoth(2), [{ mark: 2, on: 'b' }])
      await reply({ action: 'stopAll' }, 'stopped')
      server.broadcast('features:b', { mark: 3 })
      assert.deepEqual(await reply({ action: 'bump' }, 'count'), { count: 3 })
      assert.ok(!messages().some(message => message.mark === 3), 'no stream after stop_streams')

      perform({ action: 'leave' })
      await client.closed
    })

    test('rpcConcurrency: 2 bounds the calls in flight to 2, and every call completes', async t => {
      const { url, log } = await setup(t, { rpcConcurrency: 2 })
      const all = await clients(t, url, 6)
      const answers = await Promise.all(all.map((client, i) => client.subscribe(probe({ room: i, hold: 300 }), 15_000)))
      assert.deepEqual(
        answers.map(answer => answer.type),
        Array(6).fill('confirm_subscription'),
      )
      assert.equal(log.maxInFlight, 2)
    })

    test('rpcConcurrency defaults to 64', async t => {
      const { url, log } = await setup(t)
      const all = await clients(t, url, 70)
      const answers = await Promise.all(all.map((client, i) => client.subscribe(probe({ room: i, hold: 1500 }), 20_000)))
      assert.ok(answers.every(answer => answer.type === 'confirm_subscription'))
      assert.equal(log.maxInFlight, 64)
    })

    test("a session's commands reach the application one at a time, in order; other sessions go on meanwhile", async t => {
      const { url, log } = await setup(t)
      const [busy, other] = await clients(t, url, 2)
      const identifier = JSON.stringify(probe({ room: 'order' }))
      for (const client of [busy, other]) assert.equal((await client.subscribe(probe({ room: 'order' }))).type, 'confirm_subscription')

      const perform = (client, data) => client.send({ command: 'message', identifier, data: JSON.stringify(data) })
      // Back to back, each taking 40-120 ms: ~1.6 s for the busy session's twenty.
      for (let n = 0; n < 20; n++) perform(busy, { action: 'step', who: 'busy', n, minDelay: 40, jitter: 80 })
      await until(() => log.steps.busy?.started.length > 0, 5000, 'the first step')
      perform(other, { action: 'quick' })
      await other.frame(frame => frame.message?.quick === true, 5000, 'the other session’s reply')
      assert.ok(log.steps.busy.finished.length < 20, 'the other session waited for the busy one')

      await until(() => log.steps.busy.finished.length === 20, 10_000, 'all twenty steps')
      const inOrder = Array.from({ length: 20 }, (_, n) => n)
      assert.deepEqual(log.steps.busy.started, inOrder)
      assert.deepEqual(log.steps.busy.finished, inOrder)
      assert.equal(log.steps.busy.maxInFlight, 1)
    })
  })
}

test('rpcTimeout defaults to 5 s: a call that never answers gets the client a reject after ~5 s', async t => {
  const { app, log } = probeApp()
  const { url } = await startServer(t, { application: app })
  const [client] = await clients(t, url, 1)
  const started = performance.now()
  const answer = await client.subscribe(probe({ room: 'hang', hang: true }), 15_000)
  const elapsed = (performance.now() - started) / 1000
  assert.equal(answer.type, 'reject_subscription')
  assert.equal(log.hung.length, 1, 'the call reached the application and is still pending')
  assert.ok(elapsed >= 4.5 && elapsed < 8, `rejected after ${elapsed.toFixed(2)} s`)
  assert.equal((await client.subscribe(probe({ room: 'after' }))).type, 'confirm_subscription', 'the session goes on')
})

test('a failing call gets the client a reject and a line on stderr, without the token', async t => {
  const failing = http.createServer((req, res) => res.writeHead(500).end('boom'))
  await new Promise(resolve => failing.listen(0, '127.0.0.1', resolve))
  t.after(() => failing.close())
  const cli = await cliServer(t, [`--rpc_host=http://127.0.0.1:${failing.address().port}/api/anycable`])

  const jwt = token({ user_id: 'stderr' })
  const client = rawClient(t, cli.url, jwt)
  await client.welcomed()
  assert.equal((await client.subscribe(probe({ room: 'x' }))).type, 'reject_subscription')
  await until(() => cli.stderr().includes('subscribe failed'), 5000, 'a line on stderr')
  assert.match(cli.stderr(), /subscribe failed/)
  assert.ok(!cli.stderr().includes(jwt) && !cli.stderr().includes(SECRET), cli.stderr())
})

test('tokenless connections call connect, unless enforceJwt', async t => {
  const open = probeApp()
  const { url: openUrl } = await startServer(t, { application: open.app })
  await rawClient(t, openUrl).welcomed()
  assert.equal(open.log.connects, 1)

  const enforced = probeApp()
  const { url } = await startServer(t, { application: enforced.app, enforceJwt: true })
  const refused = rawClient(t, url)
  const answer = await refused.frame(frame => frame.type === 'disconnect' || frame.type === 'welcome')
  assert.deepEqual([answer.type, answer.reason], ['disconnect', 'unauthorized'])
  await rawClient(t, url, token()).welcomed()
  assert.equal(enforced.log.connects, undefined, 'connect never called')
})

test('the CLI: --rpc_timeout bounds a call to --rpc_host', async t => {
  const hanging = http.createServer(() => {})
  await new Promise(resolve => hanging.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    hanging.close()
    hanging.closeAllConnections()
  })
  const cli = await cliServer(t, ['--rpc_timeout=1', `--rpc_host=http://127.0.0.1:${hanging.address().port}/api/anycable`])
  const client = rawClient(t, cli.url, token())
  await client.welcomed()
  const started = performance.now()
  assert.equal((await client.subscribe(probe({ room: 'x' }), 10_000)).type, 'reject_subscription')
  const elapsed = (performance.now() - started) / 1000
  assert.ok(elapsed >= 0.9 && elapsed < 4, `rejected after ${elapsed.toFixed(2)} s (the default is 5 s)`)
})
