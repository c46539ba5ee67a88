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

/** Starts the CLI under `ulimit -n <openFiles>`; resolves its URL and a reader of its stderr. */
async function runCli(t, args, env = {}, openFiles = 1024) {
  const child = spawn('bash', ['-c', `ulimit -n ${openFiles} && exec "${process.execPath}" "${BIN}" "$@"`, 'bash', ...args], {
    env: { PATH: process.env.PATH, ANYCABLE_SECRET: SECRET, ...env },
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
  return { url, stderr: () => stderr }
}

test('out of descriptors: an attacker holding idle sockets does not lock real clients out', async t => {
  const { url, stderr } = await runCli(t, ['--port=0', '--handshake_timeout=60'], {}, 200)
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
  t.diagnostic(`welcomed after ${Date.now() - started} ms`)
  // The attacker is still there, holding what the server could accept.
  const held = attacker.filter(socket => !socket.destroyed).length
  assert.ok(held >= 50, `the attacker holds ${held} sockets`)
  const lines = stderr().split('\n').filter(line => line.includes('cannot accept connections'))
  assert.equal(lines.length, 1, stderr())
  assert.match(lines[0], /^\S+Z ERROR anycable-rs: cannot accept connections; .* error="Too many open files/)
})

test('the CLI takes --max_connections and ANYCABLE_HANDSHAKE_TIMEOUT', async t => {
  const { url } = await runCli(t, ['--port=0', '--max_connections=1'], { ANYCABLE_HANDSHAKE_TIMEOUT: '0.5' })
  const { hostname, port } = new URL(url)
  const first = new WebSocket(url, ['actioncable-v1-json', `anycable-token.${token()}`])
  t.after(() => first.terminate())
  await new Promise((resolve, reject) => {
    first.once('message', resolve)
    first.once('error', reject)
  })
  const status = await new Promise(resolve => {
    const second = new WebSocket(url, ['actioncable-v1-json', `anycable-token.${token()}`])
    second.on('unexpected-response', (request, response) => resolve(response.statusCode))
    second.on('open', () => resolve('open'))
    second.on('error', () => {})
  })
  assert.equal(status, 503)
  const idle = connect({ host: hostname, port: Number(port) })
  t.after(() => idle.destroy())
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the idle socket was not closed')), 10_000)
    idle.on('close', () => resolve(clearTimeout(timer)))
    idle.on('error', () => {})
  })
})

test('connection options are checked and named', () => {
  const invalid = [
    { handshakeTimeout: 0 },
    { handshakeTimeout: -1 },
    { handshakeTimeout: '10' },
    { handshakeTimeout: 1e300 },
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
