// The server's log: levels, fields, the `logger` option (a fake logger collects what the server
// says), the stderr formats through the CLI, and that no level ever writes a secret.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, execFileSync } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { createCableServer, generateToken, broadcastKey, rpcKey } from '../index.mjs'
import { Application, Channel } from './support/serverless-js.mjs'
import { SECRET, startServer, token, until } from './support/cable.mjs'
import { rawClient } from './support/raw-cable.mjs'
import { BIN } from './support/cli.mjs'
import { freePort } from './support/redis.mjs'

/** A logger in pino's shape that keeps every call as `{ level, fields, message }`. */
function fakeLogger() {
  const calls = []
  const logger = Object.fromEntries(
    ['debug', 'info', 'warn', 'error'].map(level => [level, (fields, message) => calls.push({ level, fields, message })]),
  )
  const find = (level, message) => calls.find(call => call.level === level && call.message === message)
  return { logger, calls, find }
}

/** Resolves with the first call of `level` with `message` (and `where` true for it). */
async function logged(log, level, message, where = () => true) {
  let found
  await until(() => (found = log.calls.find(call => call.level === level && call.message === message && where(call))), 5000, `${level} "${message}"`)
  return found
}

/** A token signed with `secret` whose `exp` passed a minute ago (`generateToken` makes none). */
function expiredToken(identifiers, secret) {
  const part = value => Buffer.from(JSON.stringify(value)).toString('base64url')
  const signed = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ ext: JSON.stringify(identifiers), exp: Math.floor(Date.now() / 1000) - 60 })}`
  return `${signed}.${createHmac('sha256', secret).update(signed).digest('base64url')}`
}

const postBroadcast = (port, body, key = broadcastKey(SECRET)) =>
  fetch(`http://127.0.0.1:${port}/_broadcast`, { method: 'POST', headers: { Authorization: `Bearer ${key}` }, body })

test('the logger gets the start at info, and a session\'s end with its sid and reason at debug', async t => {
  const log = fakeLogger()
  const { url } = await startServer(t, { logger: log.logger, logLevel: 'debug' })
  const started = log.find('info', 'server started')
  assert.ok(started, JSON.stringify(log.calls))
  assert.equal(started.fields.url, url)
  assert.equal(started.fields.broker, 'memory')

  const client = rawClient(t, url, token())
  const { sid } = await client.welcomed()
  assert.match(sid, /^\w{21}$/)
  client.ws.close()
  const closed = await logged(log, 'debug', 'session closed', call => call.fields.sid === sid)
  assert.deepEqual(closed.fields, { sid, reason: 'closed_by_client' })
})

test('a refused connection is logged at debug with the sid, reason and why, never the token', async t => {
  const log = fakeLogger()
  const { url } = await startServer(t, { logger: log.logger, logLevel: 'debug', enforceJwt: true })
  const forged = generateToken({ user_id: 'mallory' }, { secret: 'not-the-secret', ttl: 300 })
  const expired = expiredToken({ user_id: 'late' }, SECRET)

  const bad = rawClient(t, url, forged)
  const { reason } = await bad.frame(frame => frame.type === 'disconnect')
  assert.equal(reason, 'unauthorized')
  const refused = await logged(log, 'debug', 'connection refused', call => call.fields.why === 'the token is invalid')
  assert.equal(refused.fields.reason, 'unauthorized')
  assert.match(refused.fields.sid, /^\w{21}$/)

  rawClient(t, url, expired)
  await logged(log, 'debug', 'connection refused', call => call.fields.reason === 'token_expired' && call.fields.why === 'the token expired')
  rawClient(t, url, null)
  await logged(log, 'debug', 'connection refused', call => call.fields.why === 'no token')

  class Refusing extends Application {
    async connect(handle) {
      handle.reject()
    }
  }
  const byApp = fakeLogger()
  const app = await startServer(t, { logger: byApp.logger, logLevel: 'debug', application: new Refusing() })
  const tokenless = rawClient(t, app.url, null)
  assert.equal((await tokenless.frame(frame => frame.type === 'disconnect')).reason, 'unauthorized')
  const refusedByApp = await logged(byApp, 'debug', 'connection refused')
  assert.equal(refusedByApp.fields.reason, 'unauthorized')
  assert.equal(refusedByApp.fields.why, "the application's connect refused it")

  const everything = JSON.stringify(log.calls)
  assert.ok(!everything.includes(forged) && !everything.includes(expired), everything)
})

test('a failing application call is logged at warn: an unreachable rpcHost, and an application that throws', async t => {
  const unreachable = fakeLogger()
  const port = await freePort()
  const { url } = await startServer(t, { logger: unreachable.logger, rpcHost: `http://127.0.0.1:${port}/api` })
  const client = rawClient(t, url, token({ user_id: 'rpc' }))
  const { sid } = await client.welcomed()
  assert.equal((await client.subscribe({ channel: 'ChatChannel' })).type, 'reject_subscription')
  const failed = await logged(unreachable, 'warn', 'application subscribe failed')
  assert.equal(failed.fields.sid, sid)
  assert.equal(failed.fields.call, 'subscribe')
  assert.match(failed.fields.error, /\S/)

  class Broken extends Channel {
    async subscribed() {
      throw new Error('the channel broke')
    }
  }
  const app = new Application()
  app.registerChannel('broken', new Broken())
  const throwing = fakeLogger()
  const inProcess = await startServer(t, { logger: throwing.logger, application: app })
  const other = rawClient(t, inProcess.url, token({ user_id: 'app' }))
  await other.welcomed()
  assert.equal((await other.subscribe({ channel: 'broken' })).type, 'reject_subscription')
  const thrown = await logged(throwing, 'warn', 'application subscribe failed')
  assert.match(thrown.fields.error, /\S/)
})

test('refused HTTP broadcasts are logged at warn: a bad body, a wrong key (never the key presented)', async t => {
  const log = fakeLogger()
  const { port } = await startServer(t, { logger: log.logger })
  assert.equal((await postBroadcast(port, 'not json')).status, 422)
  const invalid = await logged(log, 'warn', 'an HTTP broadcast was refused', call => call.fields.status === '422')
  assert.match(invalid.fields.why, /\S/)

  const wrongKey = 'a-wrong-broadcast-key'
  assert.equal((await postBroadcast(port, '{"stream":"s","data":"{}"}', wrongKey)).status, 401)
  await logged(log, 'warn', 'an HTTP broadcast was refused', call => call.fields.status === '401')
  assert.ok(!JSON.stringify(log.calls).includes(wrongKey))
})

test('logLevel warn leaves out debug and info', async t => {
  const log = fakeLogger()
  const { server, url, port } = await startServer(t, { logger: log.logger, logLevel: 'warn' })
  const client = rawClient(t, url, token())
  await client.welcomed()
  client.ws.close()
  await until(() => server.stats().connections === 0, 5000, 'the session to end')
  assert.equal((await postBroadcast(port, '[')).status, 422)
  await logged(log, 'warn', 'an HTTP broadcast was refused')
  // Events reach the logger in order: the session's end would have come first.
  assert.deepEqual(log.calls.map(call => call.level), ['warn'], JSON.stringify(log.calls))
})

test('each server logs through its own logger', async t => {
  const [a, b] = [fakeLogger(), fakeLogger()]
  const servers = [await startServer(t, { logger: a.logger, logLevel: 'debug' }), await startServer(t, { logger: b.logger, logLevel: 'debug' })]
  const sids = []
  for (const { url } of servers) {
    const client = rawClient(t, url, token())
    sids.push((await client.welcomed()).sid)
    client.ws.close()
  }
  await logged(a, 'debug', 'session closed')
  await logged(b, 'debug', 'session closed')
  for (const [index, log] of [a, b].entries()) {
    assert.deepEqual(log.calls.filter(call => call.message === 'session closed').map(call => call.fields.sid), [sids[index]])
    assert.deepEqual(log.calls.filter(call => call.message === 'server started').map(call => call.fields.url), [servers[index].url])
  }
})

test('a logger that throws leaves the server running, and stderr says so once', async t => {
  const writes = []
  const write = process.stderr.write
  process.stderr.write = (chunk, ...rest) => (String(chunk).includes('anycable-rs') ? (writes.push(String(chunk)), true) : write.call(process.stderr, chunk, ...rest))
  t.after(() => (process.stderr.write = write))
  const seen = []
  const throwing = {
    debug: (fields, message) => {
      seen.push(message)
      throw new Error('the logger broke')
    },
    info: () => {
      throw new Error('the logger broke')
    },
    warn: () => {},
    error: () => {},
  }
  const { url } = await startServer(t, { logger: throwing, logLevel: 'debug' })
  for (const n of [1, 2]) {
    const client = rawClient(t, url, token({ user_id: n }))
    await client.welcomed()
    client.ws.close()
  }
  await until(() => seen.filter(message => message === 'session closed').length === 2, 5000, 'both sessions logged')
  const client = rawClient(t, url, token())
  await client.welcomed()
  assert.equal(writes.filter(line => line.includes('threw')).length, 1, writes.join(''))
  assert.match(writes[0], /the logger broke/)
})

test('bad log options are a TypeError', () => {
  assert.throws(() => createCableServer({ logger: {} }), { name: 'TypeError', message: /logger.*debug, info, warn and error/ })
  assert.throws(() => createCableServer({ logger: { debug() {}, info() {}, warn() {}, error: 'no' } }), TypeError)
  assert.throws(() => createCableServer({ logger: null }), TypeError)
  assert.throws(() => createCableServer({ logLevel: 'trace' }), { name: 'TypeError', message: /logLevel/ })
  assert.throws(() => createCableServer({ logFormat: 'pretty' }), { name: 'TypeError', message: /logFormat/ })
  assert.doesNotThrow(() => createCableServer({ logger: console, logLevel: 'error', logFormat: 'json' }))
})

/** The CLI with `args` and `env`; its stdout and stderr, and its URL once it listens. */
async function cli(t, args, env = {}) {
  const child = spawn(process.execPath, [BIN, '--port=0', ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => child.kill('SIGKILL'))
  const output = { stdout: '', stderr: '' }
  child.stdout.on('data', chunk => (output.stdout += chunk))
  child.stderr.on('data', chunk => (output.stderr += chunk))
  await until(() => /listening on/.test(output.stdout), 10_000, `the start-up line (${output.stderr})`)
  const url = /listening on (ws:\/\/\S+)/.exec(output.stdout)[1]
  return { child, output, url, port: Number(new URL(url).port) }
}

test('--log_format=json --log_level=debug: every stderr line is one JSON object', async t => {
  const server = await cli(t, ['--log_format=json', '--log_level=debug', '--enforce_jwt'], { ANYCABLE_SECRET: SECRET })
  const good = rawClient(t, server.url, token())
  await good.welcomed()
  good.ws.close()
  rawClient(t, server.url, 'not-a-token')
  await until(() => server.output.stderr.includes('session closed') && server.output.stderr.includes('connection refused'), 5000, 'both events')
  const lines = server.output.stderr.trimEnd().split('\n')
  const events = lines.map(line => JSON.parse(line))
  for (const event of events) {
    assert.deepEqual(Object.keys(event), ['time', 'level', 'msg', 'fields'], JSON.stringify(event))
    assert.match(event.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  }
  assert.deepEqual(
    events.map(event => `${event.level} ${event.msg}`).sort(),
    ['debug connection refused', 'debug session closed', 'info server started'],
  )
})

test('--log_level=warn: the text format says nothing at start, one line per warning', async t => {
  const server = await cli(t, ['--log_level=warn'], { ANYCABLE_SECRET: SECRET })
  const client = rawClient(t, server.url, token())
  await client.welcomed()
  assert.equal((await postBroadcast(server.port, 'nope')).status, 422)
  await until(() => server.output.stderr.includes('\n'), 5000, 'a line')
  assert.match(server.output.stderr, /^\S+Z WARN  anycable-rs: an HTTP broadcast was refused status=422 why="[^"]+"\n$/)
})

/** A redis-server requiring `password`, on a free port; stopped after the test. */
async function passwordRedis(t, password) {
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', password], { stdio: 'ignore' })
  t.after(() => child.kill('SIGKILL'))
  const ping = () => {
    try {
      return execFileSync('redis-cli', ['-p', String(port), '-a', password, '--no-auth-warning', 'PING'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() === 'PONG'
    } catch {
      return false
    }
  }
  await until(ping, 5000, 'redis-server')
  return { url: `redis://:${password}@127.0.0.1:${port}`, child }
}

test('no level writes a token, a secret, a key or a Redis password (logger, stderr and stdout)', async t => {
  const secret = 'sekret-sekret-sekret-1'
  const password = 'redis-pass-word-2'
  const key = 'broadcast-key-3'
  const redis = await passwordRedis(t, password)
  const valid = generateToken({ user_id: 'alice' }, { secret, ttl: 300 })
  const expired = expiredToken({ user_id: 'bob' }, secret)
  const forged = generateToken({ user_id: 'eve' }, { secret: 'forged-secret-4', ttl: 300 })
  const secrets = [secret, password, key, valid, expired, forged, 'forged-secret-4', broadcastKey(secret), rpcKey(secret)]

  /** Connections with every token, a subscription, good and bad broadcasts, a lost Redis. */
  async function exercise(url, port) {
    for (const jwt of [valid, expired, forged, null]) {
      const client = rawClient(t, url, jwt)
      await client.frame(frame => frame.type === 'welcome' || frame.type === 'disconnect')
      client.ws.close()
    }
    const client = rawClient(t, url, valid)
    await client.welcomed()
    await client.subscribe({ channel: 'ChatChannel' })
    await postBroadcast(port, '{"stream":"s","data":"{}"}', key)
    await postBroadcast(port, 'bad', key)
    await postBroadcast(port, 'bad', secret)
    await postBroadcast(port, 'bad', broadcastKey(secret))
  }

  const rpcPort = await freePort()
  const options = { secret, broadcastKey: key, redisUrl: redis.url, pubsub: 'redis', rpcHost: `http://127.0.0.1:${rpcPort}/api` }
  const log = fakeLogger()
  const embedded = await startServer(t, { ...options, logger: log.logger, logLevel: 'debug' })
  await exercise(embedded.url, embedded.port)

  const server = await cli(t, [
    '--log_level=debug',
    `--secret=${secret}`,
    `--broadcast_key=${key}`,
    `--redis_url=${redis.url}`,
    '--pubsub=redis',
    `--rpc_host=http://127.0.0.1:${rpcPort}/api`,
  ])
  await exercise(server.url, server.port)
  redis.child.kill('SIGKILL')
  await until(() => server.output.stderr.includes('connection lost'), 10_000, 'the CLI to log losing Redis')
  await until(() => log.calls.some(call => call.level === 'error' && /connection lost/.test(call.message)), 10_000, 'the logger to hear of it')

  const everything = [JSON.stringify(log.calls), server.output.stderr, server.output.stdout].join('\n')
  for (const level of ['debug', 'info', 'warn', 'error']) {
    assert.ok(log.calls.some(call => call.level === level), `the logger got ${level} events`)
    assert.ok(server.output.stderr.includes(` ${level.toUpperCase()} `), `stderr has ${level} lines`)
  }
  for (const hidden of secrets) assert.ok(!everything.includes(hidden), `${hidden} was logged:\n${everything}`)
  assert.match(everything, /redis:\/\/\*\*\*@127\.0\.0\.1/, 'the Redis URL is logged, without its password')
})
