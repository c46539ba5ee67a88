// Connections against hostile clients and careless callers: the listen/close lifecycle in any
// order, descriptor exhaustion, and the connection options' checks.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { connect } from 'node:net'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { Application } from './support/serverless-js.mjs'
import { createCableServer } from '../index.mjs'
import { SECRET, startServer, token } from './support/cable.mjs'

const BIN = fileURLToPath(new URL('../bin/anycable-rs.js', import.meta.url))

/** 'welcome' if the server at `url` welcomes a client, else how the attempt ended. */
function tryWelcome(url, ms = 5000) {
  return new Promise(resolve => {
    const ws = new WebSocket(url, ['actioncable-v1-json', `anycable-token.${token()}`])
    const done = outcome => {
      clearTimeout(timer)
      ws.terminate()
      resolve(outcome)
    }
    const timer = setTimeout(() => done('timeout'), ms)
    ws.on('message', data => done(JSON.parse(data).type === 'welcome' ? 'welcome' : 'other'))
    ws.on('error', error => done(error.code ?? 'error'))
    ws.on('close', () => done('closed'))
  })
}

test('close() right after listen() closes what listen() opened, 200 times over', async () => {
  const server = createCableServer({ port: 0, secret: SECRET })
  for (let run = 0; run < 200; run++) {
    const listening = server.listen()
    await server.close()
    const info = await listening.catch(error => error)
    if (info instanceof Error) continue // a listen that never listened is fine too
    const outcome = await tryWelcome(info.url)
    assert.notEqual(outcome, 'welcome', `run ${run}: welcomed after close() resolved`)
  }
  // And in the other order, listening afterwards works normally.
  const closed = server.close()
  const info = await server.listen()
  await closed
  assert.equal(await tryWelcome(info.url), 'welcome')
  await server.close()
})

test('a second listen() while listening rejects, and close() is idempotent', async () => {
  const server = createCableServer({ port: 0, secret: SECRET })
  const [first, second] = await Promise.allSettled([server.listen(), server.listen()])
  assert.equal(first.status, 'fulfilled')
  assert.match(second.reason.message, /already listening/)
  await Promise.all([server.close(), server.close()])
  assert.notEqual(await tryWelcome(first.value.url), 'welcome')
})

test('out of descriptors: an attacker holding idle sockets does not lock real clients out', async t => {
  const child = spawn('bash', ['-c', `ulimit -n 200 && exec "${process.execPath}" "${BIN}" --port=0 --handshake_timeout=60`], {
    env: { PATH: process.env.PATH, ANYCABLE_SECRET: SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.after(() => child.kill('SIGKILL'))
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', chunk => (stderr += chunk))
  const url = await new Promise((resolve, reject) => {
    child.stdout.on('data', chunk => {
      stdout += chunk
      const match = /listening on (ws:\/\/\S+)/.exec(stdout)
      if (match) resolve(match[1])
    })
    child.once('exit', code => reject(new Error(`exited with ${code}: ${stdout}${stderr}`)))
  })
  const { hostname, port } = new URL(url)
  const attacker = []
  t.after(() => attacker.forEach(socket => socket.destroy()))
  await Promise.all(
    Array.from({ length: 400 }, () => new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port) }, resolve)
      socket.on('error', reject)
      attacker.push(socket)
    })),
  )
  const started = Date.now()
  assert.equal(await tryWelcome(url, 10_000), 'welcome')
  const elapsed = Date.now() - started
  assert.ok(elapsed < 10_000, `welcomed after ${elapsed} ms`)
  assert.ok(attacker.filter(socket => !socket.destroyed).length > 0)
  const lines = stderr.split('\n').filter(line => line.includes('cannot accept connections'))
  assert.equal(lines.length, 1, stderr)
  assert.match(lines[0], /^anycable-rs: /)
})

test('connection options are checked and named', () => {
  const invalid = [
    { handshakeTimeout: 0 },
    { handshakeTimeout: -1 },
    { handshakeTimeout: '10' },
    { maxPendingConnections: 0 },
    { maxPendingConnections: 1.5 },
    { maxConnections: -1 },
    { maxConnections: 2 ** 32 },
    { headers: 5 },
    { headers: [1] },
    { headers: ['bad header'] },
    { allowedOrigins: ['ftp://example.com'] },
    { allowedOrigins: '*.' },
  ]
  for (const options of invalid) {
    const [name] = Object.keys(options)
    assert.throws(() => createCableServer(options), error => error instanceof TypeError && error.message.includes(name), JSON.stringify(options))
  }
  for (const options of [
    { handshakeTimeout: 0.5, maxPendingConnections: 1, maxConnections: 0 },
    { headers: 'Cookie, X-Api-Key', allowedOrigins: 'example.com, https://*.example.com:8443' },
  ]) {
    createCableServer(options)
  }
})

test('the application sees only the headers the headers option names', async t => {
  const seen = []
  class Recorder extends Application {
    async connect(handle) {
      seen.push(handle.env.headers)
      handle.identifiedBy({ user: 'x' })
    }
  }
  const { url } = await startServer(t, { application: new Recorder(), headers: 'X-Api-Key, Cookie' })
  const ws = new WebSocket(url, ['actioncable-v1-json'], {
    headers: { cookie: 'session=abc', 'x-api-key': 'k', 'x-other': 'not for the app' },
  })
  t.after(() => ws.terminate())
  const welcome = await new Promise((resolve, reject) => {
    ws.once('message', data => resolve(JSON.parse(data)))
    ws.once('error', reject)
  })
  assert.equal(welcome.type, 'welcome')
  assert.deepEqual(seen, [{ cookie: 'session=abc', 'x-api-key': 'k' }])
})
