// The README's promises about Redis: the default URL, a custom redisChannel (and redisxStream), one subscription and
// one publishing connection per node, start-up failure, and a password that never shows. Every
// redis-server here is one the test started.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createCableServer } from '../index.mjs'
import { SECRET, client, until, subscriber } from './support/cable.mjs'
import { startRedis, freePort } from './support/redis.mjs'

const BIN = fileURLToPath(new URL('../bin/anycable-rs.js', import.meta.url))

async function listening(t, options) {
  const server = createCableServer({ port: 0, secret: SECRET, ...options })
  const info = await server.listen()
  t.after(() => server.close())
  return { server, ...info }
}


/** The redis-server's clients other than the asking redis-cli, as `CLIENT LIST` fields. */
function redisClients(redis) {
  const list = execFileSync('redis-cli', ['-p', String(redis.port), 'CLIENT', 'LIST'], { encoding: 'utf8' })
  return list
    .trim()
    .split('\n')
    .map(line => Object.fromEntries(line.split(' ').map(field => field.split('='))))
    .filter(fields => fields.cmd !== 'client|list')
}

/** Runs the CLI to its exit; resolves with the exit code and everything it printed. */
function runToExit(t, args) {
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => child.kill('SIGKILL'))
  let output = ''
  child.stdout.on('data', chunk => (output += chunk))
  child.stderr.on('data', chunk => (output += chunk))
  return new Promise(resolve => child.once('close', code => resolve({ code, output })))
}

test('redisUrl defaults to redis://localhost:6379', async t => {
  const taken = await new Promise(resolve => {
    const probe = spawn('redis-cli', ['-p', '6379', 'PING'], { stdio: 'ignore' })
    probe.once('exit', code => resolve(code === 0))
  })
  if (taken) {
    t.skip('a Redis this test did not start already answers on port 6379')
    return
  }
  const redis = await startRedis(t, 6379).catch(error => error)
  if (redis instanceof Error) {
    t.skip(`port 6379 is not free for a redis-server of our own: ${redis.message}`)
    return
  }
  const { url } = await listening(t, { broadcastAdapter: 'redis', pubsub: 'redis' })
  const messages = await subscriber(t, url, 'default-url')
  await until(() => redis.publish('__anycable__', JSON.stringify({ stream: 'default-url', data: '"via 6379"' })) === 1, 5000, 'a subscriber')
  await until(() => messages.length === 1, 5000, 'the publication')
  assert.deepEqual(messages, ['via 6379'])
})

test('a custom redisChannel takes publications; __anycable__ is then not listened to', async t => {
  const redis = await startRedis(t)
  const { url } = await listening(t, { redisUrl: redis.url, broadcastAdapter: 'redis', redisChannel: 'custom:broadcasts' })
  const messages = await subscriber(t, url, 'news')
  const publication = text => JSON.stringify({ stream: 'news', data: JSON.stringify({ text }) })
  // PUBLISH answers how many subscribers got it: nobody listens on the default channel.
  assert.equal(redis.publish('__anycable__', publication('default channel')), 0)
  assert.equal(redis.publish('custom:broadcasts', publication('custom channel')), 1)
  await until(() => messages.length >= 1, 5000, 'the publication')
  assert.deepEqual(messages, [{ text: 'custom channel' }])
})

test('a node keeps one subscription connection and one publishing connection, however many streams and clients', async t => {
  const redis = await startRedis(t)
  const { server, url } = await listening(t, { redisUrl: redis.url, broadcastAdapter: 'redis', pubsub: 'redis' })
  const inboxes = []
  for (let i = 0; i < 5; i++) inboxes.push(await subscriber(t, url, `stream-${i}`))
  for (let i = 0; i < 5; i++) server.broadcast(`stream-${i}`, { i })
  await until(() => inboxes.every(inbox => inbox.length === 1), 5000, 'every broadcast')
  const clients = redisClients(redis)
  assert.equal(clients.length, 2, JSON.stringify(clients))
  assert.equal(clients.filter(fields => Number(fields.sub) > 0).length, 1, 'one subscription connection')
})

test('redisx reads a custom redisxStream through a custom redisxGroup on one connection, and gives its lease up at close', async t => {
  const redis = await startRedis(t)
  const { server, url } = await listening(t, { redisUrl: redis.url, broadcastAdapter: 'redisx', redisxStream: 'app:cable', redisxGroup: 'nodes' })
  const messages = await subscriber(t, url, 'news')
  const cli = (...args) => execFileSync('redis-cli', ['-p', String(redis.port), ...args], { encoding: 'utf8' }).trim()
  cli('XADD', '__anycable__', '*', 'payload', JSON.stringify({ stream: 'news', data: '"default stream"' }))
  cli('XADD', 'app:cable', '*', 'payload', JSON.stringify({ stream: 'news', data: '"custom stream"' }))
  await until(() => messages.length >= 1, 5000, 'the publication')
  assert.deepEqual(messages, ['custom stream'])
  assert.match(cli('XINFO', 'GROUPS', 'app:cable'), /^name\nnodes\n/)
  assert.equal(cli('XLEN', '__anycable__'), '1', 'the default stream is not read')
  assert.equal(redisClients(redis).length, 1, 'one connection')
  assert.notEqual(cli('GET', '$acrs:redisx:app:cable:nodes'), '')
  await server.close()
  assert.equal(cli('GET', '$acrs:redisx:app:cable:nodes'), '', 'the lease is released')
})

test('an unreachable Redis rejects listen() naming the URL without its password; the CLI exits non-zero with it', async t => {
  const port = await freePort()
  const redisUrl = `redis://user:hunter2@127.0.0.1:${port}/0`
  const server = createCableServer({ port: 0, secret: SECRET, redisUrl, pubsub: 'redis' })
  const error = await server.listen().then(
    () => assert.fail('listen() resolved'),
    rejection => rejection,
  )
  assert.match(error.message, /cannot reach Redis/)
  assert.ok(error.message.includes(`127.0.0.1:${port}`), error.message)
  assert.ok(!error.message.includes('hunter2'), error.message)

  for (const args of [['--pubsub=redis'], ['--broadcast_adapter=redis'], ['--broadcast_adapter=redisx']]) {
    const { code, output } = await runToExit(t, ['--port=0', `--redis_url=${redisUrl}`, ...args])
    assert.notEqual(code, 0)
    assert.match(output, new RegExp(`cannot reach Redis at \\S*127\\.0\\.0\\.1:${port}`))
    assert.ok(!output.includes('hunter2'), output)
    assert.ok(!/listening on/.test(output), output)
  }
})

test('the Redis password never appears in the logs, also when Redis goes away and comes back', async t => {
  const port = await freePort()
  const password = 'redis-pass-never-logged'
  const startPasswordRedis = () => {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', password], { stdio: 'ignore' })
    t.after(() => child.kill('SIGKILL'))
    return child
  }
  const ping = () => {
    try {
      return execFileSync('redis-cli', ['-p', String(port), '-a', password, '--no-auth-warning', 'PING'], { encoding: 'utf8' }).trim() === 'PONG'
    } catch {
      return false
    }
  }
  let redis = startPasswordRedis()
  await until(ping, 5000, 'redis-server')

  const child = spawn(process.execPath, [BIN, '--port=0', '--pubsub=redis', '--broadcast_adapter=redis', `--redis_url=redis://:${password}@127.0.0.1:${port}`], {
    env: { PATH: process.env.PATH, ANYCABLE_SECRET: SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.after(() => child.kill('SIGKILL'))
  let output = ''
  child.stdout.on('data', chunk => (output += chunk))
  child.stderr.on('data', chunk => (output += chunk))
  await until(() => /listening on/.test(output), 10_000, 'the start-up line')
  const afterStart = output.length

  redis.kill('SIGKILL')
  await until(() => output.length > afterStart, 10_000, 'a line about losing Redis')
  redis = startPasswordRedis()
  await until(ping, 5000, 'redis-server again')
  const subscribed = () => Number(execFileSync('redis-cli', ['-p', String(port), '-a', password, '--no-auth-warning', 'PUBSUB', 'NUMSUB', '__anycable__'], { encoding: 'utf8' }).trim().split('\n')[1]) === 1
  await until(subscribed, 15_000, 'the node to resubscribe')

  assert.ok(!output.includes(password), output)
  t.diagnostic(output.trim().split('\n').slice(1).join(' | '))
})

test('the CLI: --redis_channel / ANYCABLE_REDIS_CHANNEL with --broadcast_adapter=redis and REDIS_URL', async t => {
  const redis = await startRedis(t)
  const subscribers = channel =>
    Number(execFileSync('redis-cli', ['-p', String(redis.port), 'PUBSUB', 'NUMSUB', channel], { encoding: 'utf8' }).trim().split('\n')[1])
  for (const [args, env] of [
    [['--redis_channel=from-flag'], { ANYCABLE_REDIS_CHANNEL: 'from-env' }],
    [[], { ANYCABLE_REDIS_CHANNEL: 'from-env' }],
  ]) {
    const child = spawn(process.execPath, [BIN, '--port=0', '--broadcast_adapter=redis', ...args], {
      env: { PATH: process.env.PATH, ANYCABLE_SECRET: SECRET, REDIS_URL: redis.url, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    t.after(() => child.kill('SIGKILL'))
    let output = ''
    child.stdout.on('data', chunk => (output += chunk))
    await until(() => /listening on/.test(output), 10_000, 'the start-up line')
    assert.match(output, /redis broadcasts: on/)
    const expected = args.length ? 'from-flag' : 'from-env'
    await until(() => subscribers(expected) === 1, 5000, `a subscription to ${expected}`)
    assert.equal(subscribers('__anycable__'), 0)
    child.kill('SIGKILL')
    await new Promise(resolve => child.once('exit', resolve))
  }
})
