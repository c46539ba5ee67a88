// `npx anycable-rs`: flags and ANYCABLE_* variables, the start-up line, graceful signals.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { signStream } from '../index.mjs'
import { client, next, token, SECRET } from './support/cable.mjs'
import { runCli as run } from './support/cli.mjs'


test('flags and environment configure the server; secrets are never printed', async t => {
  const cli = run(t, ['--port=0', '--public_streams', '--turbo_streams=true'], {
    ANYCABLE_SECRET: SECRET,
    ANYCABLE_BROADCAST_KEY: 'bk-not-printed',
    ANYCABLE_RPC_HOST: 'http://127.0.0.1:9/rpc',
  })
  const url = await cli.listening
  assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+\/cable$/)
  assert.match(cli.output(), /jwt: on/)
  assert.match(cli.output(), /public streams: on/)
  assert.match(cli.output(), /turbo streams: on/)
  assert.match(cli.output(), /application channels: http/)
  assert.ok(!cli.output().includes(SECRET), 'secret printed')
  assert.ok(!cli.output().includes('bk-not-printed'), 'broadcast key printed')

  const cable = client(t, url, { auth: { token: token() } })
  const channel = cable.streamFrom('public-lobby')
  await channel.ensureSubscribed()
})

test('PORT and ANYCABLE_JWT_PARAM / ANYCABLE_ID_PARAM are read', async t => {
  const cli = run(t, [], { PORT: '0', ANYCABLE_SECRET: SECRET, ANYCABLE_ID_PARAM: 'token' })
  const url = await cli.listening
  const cable = client(t, url, { websocketAuthStrategy: 'param', auth: { token: token(), param: 'token' } })
  await cable.connect()
  assert.equal(cable.state, 'connected')
})

test('--dev without a secret prints a development secret that works', async t => {
  const cli = run(t, ['--dev', '--port', '0'])
  const url = await cli.listening
  await new Promise(resolve => setTimeout(resolve, 100))
  const devSecret = /development secret \(ANYCABLE_SECRET\): (\w+)/.exec(cli.output())?.[1]
  assert.ok(devSecret, cli.output())
  const { generateToken } = await import('../index.mjs')
  const cable = client(t, url, { auth: { token: generateToken({ user_id: 1 }, { secret: devSecret }) } })
  await cable.connect()
  await cable.streamFromSigned(signStream('dev', devSecret)).ensureSubscribed()
})

test('SIGTERM closes gracefully: clients get server_restart, the process exits 0', async t => {
  const cli = run(t, ['--port=0'], { ANYCABLE_SECRET: SECRET })
  const url = await cli.listening
  const cable = client(t, url, { auth: { token: token() } })
  await cable.connect()
  const disconnected = next(cable, 'disconnect')
  cli.child.kill('SIGTERM')
  assert.equal((await disconnected).reason, 'server_restart')
  assert.equal(await cli.exited, 0)
})

test('bad flags exit 2 with usage', async t => {
  for (const args of [['--nope'], ['--port=abc'], ['--enforce_jwt']]) {
    const cli = run(t, ['--port=0', ...args])
    cli.listening.catch(() => {})
    assert.equal(await cli.exited, 2, args.join(' '))
  }
})

/** Runs the CLI expecting it to refuse its arguments: resolves `{ code, output }`, where code is
 * `'listening'` if it started serving instead. */
async function refused(t, args, env = {}) {
  const cli = run(t, args, env)
  const code = await Promise.race([cli.exited, cli.listening.then(() => 'listening', () => cli.exited)])
  return { code, output: cli.output() }
}

test('a flag is never taken as the value of the flag before it', async t => {
  const { code, output } = await refused(t, ['--secret', '--port=0'], { ANYCABLE_SECRET: SECRET })
  assert.equal(code, 2, output)
  assert.match(output, /--secret needs a value, got the flag --port/)
  assert.doesNotMatch(output, /listening/)
  // The explicit form keeps working for a value that starts with --.
  const cli = run(t, ['--secret=--not-a-flag', '--port', '0'])
  assert.match(await cli.listening, /^ws:\/\/127\.0\.0\.1:\d+\/cable$/)
  assert.doesNotMatch(cli.output(), /--not-a-flag/)
})

test('--rpc_concurrency and ANYCABLE_RPC_CONCURRENCY are read and validated', async t => {
  const cli = run(t, ['--port=0', '--rpc_concurrency', '2'], { ANYCABLE_RPC_HOST: 'http://127.0.0.1:9/rpc' })
  assert.match(await cli.listening, /^ws:\/\//)
  const fromFlag = await refused(t, ['--port=0', '--rpc_concurrency=0'])
  assert.equal(fromFlag.code, 2, fromFlag.output)
  assert.match(fromFlag.output, /rpcConcurrency.*from 1 to 4294967295/)
  const fromEnv = await refused(t, ['--port=0'], { ANYCABLE_RPC_CONCURRENCY: '4294967296' })
  assert.equal(fromEnv.code, 2, fromEnv.output)
  assert.match(fromEnv.output, /rpcConcurrency/)
})

test('numeric flags are held to the ranges of their options', async t => {
  const cases = [
    [['--ping_interval=1e20'], /pingInterval.*from 0\.01 to 3600/],
    [['--rpc_timeout=0'], /rpcTimeout.*from 0\.01 to 3600/],
    [['--max_message_size=4294967296'], /maxMessageSize/],
    [['--port=70000'], /port/],
  ]
  const results = await Promise.all(cases.map(([args]) => refused(t, ['--port=0', ...args])))
  results.forEach(({ code, output }, i) => {
    assert.equal(code, 2, output)
    assert.match(output, cases[i][1])
  })
})

test('flag names are looked up as own names only', async t => {
  for (const arg of ['--__proto__=1', '--constructor=1', '--to_string']) {
    const { code, output } = await refused(t, ['--port=0', arg])
    assert.equal(code, 2, output)
    assert.match(output, /unknown argument/)
  }
})
