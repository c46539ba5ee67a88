// The README's promises about `npx anycable-rs`: every documented flag, its ANYCABLE_* variable,
// flags over the environment, --help, and a start-up line that never shows a secret.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import { fileURLToPath } from 'node:url'
import { broadcastKey, generateToken } from '../index.mjs'
import { SECRET, client, next, token, until } from './support/cable.mjs'
import { rawClient } from './support/raw-cable.mjs'
import { freePort } from './support/redis.mjs'
import { runCli as run } from './support/cli.mjs'
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

/** The flags the README's command-line section lists. */
const documentedFlags = () => {
  const list = /Flags are the AnyCable server's: ([^]*?),\s*each also read from/.exec(README)?.[1]
  assert.ok(list, 'the README lists the flags')
  return list.match(/--[a-z_]+/g).map(flag => flag.slice(2))
}


/** The HTTP status a WebSocket upgrade from a browser at `origin` gets. */
function upgradeStatus(url, origin) {
  return new Promise((resolve, reject) => {
    const request = http.get(url.replace(/^ws/, 'http'), {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-protocol': 'actioncable-v1-json',
        origin,
      },
    })
    request.once('upgrade', (response, socket) => {
      socket.destroy()
      resolve(response.statusCode)
    })
    request.once('response', response => {
      response.resume()
      resolve(response.statusCode)
    })
    request.once('error', reject)
  })
}

/** Starts the CLI, waits for its start-up line and stops it; resolves with that line. */
async function startupLine(t, args, env = {}) {
  const cli = run(t, ['--port=0', ...args], env)
  await cli.listening
  await new Promise(resolve => setImmediate(resolve))
  cli.child.kill('SIGKILL')
  return cli.output().split('\n').find(line => line.includes('listening on'))
}

test('--help lists exactly the flags the README documents, and exits 0', async t => {
  const cli = run(t, ['--help'])
  assert.equal(await cli.exited, 0)
  // The flags are the line after "Flags (or ANYCABLE_<FLAG> variables):"; --dev, --demo, --help follow.
  const line = /variables\):\n(.*)\n/.exec(cli.output())?.[1]
  assert.ok(line, cli.output())
  assert.deepEqual(line.match(/--[a-z_]+/g).map(flag => flag.slice(2)).sort(), documentedFlags().sort())
})

test('every documented flag is accepted, as a flag and as ANYCABLE_<FLAG>', async t => {
  // A value each flag accepts without needing anything else running (some name flags that other
  // work on issue 12 adds, so this table is complete once it is merged).
  const values = {
    host: '127.0.0.1',
    port: '0',
    path: '/cable',
    secret: 's',
    jwt_secret: 's',
    jwt_param: 'jid',
    enforce_jwt: 'true',
    noauth: 'false',
    streams_secret: 's',
    public_streams: 'true',
    public: 'false',
    turbo_streams: 'true',
    streams_whisper: 'true',
    broadcast_key: 'k',
    broadcast_path: '/_broadcast',
    allowed_origins: 'https://example.com',
    ping_interval: '3',
    max_message_size: '65536',
    health_path: '/health',
    rpc_host: 'http://127.0.0.1:9/rpc',
    rpc_timeout: '5',
    redis_url: 'redis://127.0.0.1:1',
    broadcast_adapter: 'http',
    redis_channel: '__anycable__',
    redisx_stream: 'app:cable',
    redisx_group: 'nodes',
    pubsub: 'none',
    public_streams_prefix: 'public/',
    max_subscriptions: '1000',
    max_outgoing_bytes: '1048576',
    command_rate: '100',
    handshake_timeout: '10',
    max_pending_connections: '1024',
    max_connections: '100',
    headers: 'cookie',
    rpc_concurrency: '64',
    broker: 'memory',
    history_limit: '100',
    history_ttl: '300',
    sessions_ttl: '300',
    presence_ttl: '15',
    pong_timeout: '0',
    streams_presence: 'true',
    disconnect_on_token_expiry: 'false',
    metrics_http: '/metrics',
    metrics_port: '0',
    metrics_host: '127.0.0.1',
    log_level: 'warn',
    log_format: 'json',
  }
  const flags = documentedFlags()
  assert.deepEqual(flags.filter(flag => !(flag in values)), [], 'a test value for every documented flag')
  const asFlags = flags.filter(flag => flag !== 'port').map(flag => `--${flag}=${values[flag]}`)
  await run(t, ['--port=0', ...asFlags]).listening
  const asEnv = Object.fromEntries(flags.map(flag => [`ANYCABLE_${flag.toUpperCase()}`, values[flag]]))
  await run(t, [], asEnv).listening
})

describe('each flag and variable maps to its option', () => {
  // [flags, environment, what the start-up line then says]
  const cases = [
    [['--enforce_jwt'], { ANYCABLE_ENFORCE_JWT: 'true' }, /jwt: enforced/],
    [['--noauth'], { ANYCABLE_NOAUTH: 'true' }, /anonymous: on/],
    [['--public_streams'], { ANYCABLE_PUBLIC_STREAMS: 'true' }, /public streams: on/],
    [['--public'], { ANYCABLE_PUBLIC: 'true' }, /anonymous: on.*public streams: on/],
    [['--turbo_streams'], { ANYCABLE_TURBO_STREAMS: 'true' }, /turbo streams: on/],
    [['--streams_whisper'], { ANYCABLE_STREAMS_WHISPER: 'true' }, /whisper on signed streams: on/],
    [['--rpc_host=http://127.0.0.1:9/rpc'], { ANYCABLE_RPC_HOST: 'http://127.0.0.1:9/rpc' }, /application channels: http/],
    [['--broker=none'], { ANYCABLE_BROKER: 'none' }, /broker: none/],
  ]
  for (const [args, env, expected] of cases) {
    test(`${args.join(' ')} / ${Object.keys(env).join(' ')}`, async t => {
      const base = { ANYCABLE_SECRET: SECRET }
      const off = await startupLine(t, [], base)
      assert.doesNotMatch(off, expected, 'not on by default')
      assert.match(await startupLine(t, args, base), expected)
      assert.match(await startupLine(t, [], { ...base, ...env }), expected)
    })
  }

  test('--jwt_secret / ANYCABLE_JWT_SECRET and --streams_secret / ANYCABLE_STREAMS_SECRET without --secret', async t => {
    assert.match(await startupLine(t, []), /jwt: off.*signed streams: off.*HTTP broadcast: off/)
    assert.match(await startupLine(t, ['--jwt_secret=j']), /jwt: on.*signed streams: off/)
    assert.match(await startupLine(t, [], { ANYCABLE_JWT_SECRET: 'j' }), /jwt: on.*signed streams: off/)
    assert.match(await startupLine(t, ['--streams_secret=s']), /jwt: off.*signed streams: on/)
    assert.match(await startupLine(t, [], { ANYCABLE_STREAMS_SECRET: 's' }), /jwt: off.*signed streams: on/)
    assert.match(await startupLine(t, ['--broadcast_key=k']), /HTTP broadcast: key/)
    assert.match(await startupLine(t, [], { ANYCABLE_BROADCAST_KEY: 'k' }), /HTTP broadcast: key/)
    // --public opens HTTP broadcasts only when no key is configured.
    assert.match(await startupLine(t, ['--public']), /HTTP broadcast: public/)
    assert.match(await startupLine(t, ['--public', '--secret=s']), /HTTP broadcast: key/)
  })

  test('--host, --port/PORT/ANYCABLE_PORT and --path/ANYCABLE_PATH shape the URL; flags beat variables', async t => {
    // 127.0.0.2 is loopback too (Linux), so the host a URL shows tells which setting won.
    assert.match(await startupLine(t, [], { ANYCABLE_HOST: '127.0.0.2' }), /listening on ws:\/\/127\.0\.0\.2:\d+\/cable /)
    const line = await startupLine(t, ['--host=127.0.0.1', '--path=/flag'], { ANYCABLE_HOST: '127.0.0.2', ANYCABLE_PATH: '/env' })
    assert.match(line, /listening on ws:\/\/127\.0\.0\.1:\d+\/flag /)
    assert.match(await startupLine(t, [], { ANYCABLE_PATH: '/env' }), /listening on ws:\/\/127\.0\.0\.1:\d+\/env /)

    const port = await freePort()
    for (const env of [{ PORT: String(port) }, { ANYCABLE_PORT: String(port) }]) {
      const cli = run(t, [], { ANYCABLE_SECRET: SECRET, ...env })
      assert.equal(await cli.listening, `ws://127.0.0.1:${port}/cable`)
      cli.child.kill('SIGKILL')
      await cli.exited
    }
    const cli = run(t, ['--port=0'], { ANYCABLE_SECRET: SECRET, PORT: String(port) })
    assert.notEqual(new URL(await cli.listening).port, String(port), '--port beats PORT')
  })

  test('--jwt_param / ANYCABLE_JWT_PARAM names the query parameter', async t => {
    for (const [args, env] of [[['--jwt_param=auth'], {}], [[], { ANYCABLE_JWT_PARAM: 'auth' }], [['--jwt_param=auth'], { ANYCABLE_ID_PARAM: 'other' }]]) {
      const cli = run(t, ['--port=0', ...args], { ANYCABLE_SECRET: SECRET, ...env })
      const url = await cli.listening
      const byParam = rawClient(t, `${url}?auth=${token()}`)
      await byParam.welcomed()
      const byDefault = rawClient(t, `${url}?jid=${token()}`)
      assert.equal((await byDefault.frame(f => f.type === 'disconnect' || f.type === 'welcome')).type, 'disconnect')
    }
  })

  test('--health_path / ANYCABLE_HEALTH_PATH and --broadcast_path / ANYCABLE_BROADCAST_PATH', async t => {
    for (const [args, env] of [
      [['--health_path=/up', '--broadcast_path=/pub'], {}],
      [[], { ANYCABLE_HEALTH_PATH: '/up', ANYCABLE_BROADCAST_PATH: '/pub' }],
    ]) {
      const cli = run(t, ['--port=0', ...args], { ANYCABLE_SECRET: SECRET, ...env })
      const { port } = new URL(await cli.listening)
      const base = `http://127.0.0.1:${port}`
      assert.equal((await fetch(`${base}/up`)).status, 200)
      assert.equal((await fetch(`${base}/health`)).status, 404)
      const publish = path =>
        fetch(`${base}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${broadcastKey(SECRET)}` },
          body: JSON.stringify({ stream: 'x', data: '{}' }),
        })
      assert.equal((await publish('/pub')).status, 201)
      assert.equal((await publish('/_broadcast')).status, 404)
    }
  })

  test('--metrics_http / ANYCABLE_METRICS_HTTP on the main port, --metrics_port and --metrics_host on their own', async t => {
    for (const [args, env] of [[['--metrics_http=/stats'], {}], [[], { ANYCABLE_METRICS_HTTP: '/stats' }]]) {
      const cli = run(t, ['--port=0', ...args], { ANYCABLE_SECRET: SECRET, ...env })
      const { port } = new URL(await cli.listening)
      const stats = await fetch(`http://127.0.0.1:${port}/stats`, { headers: { authorization: `Bearer ${broadcastKey(SECRET)}` } })
      assert.equal(stats.status, 200)
      assert.match(await stats.text(), /^anycable_go_clients_num 0$/m)
    }
    const metricsPort = await freePort()
    for (const [args, env] of [
      [[`--metrics_port=${metricsPort}`, '--metrics_host=127.0.0.1'], {}],
      [[], { ANYCABLE_METRICS_PORT: String(metricsPort), ANYCABLE_METRICS_HOST: '127.0.0.1' }],
    ]) {
      const cli = run(t, ['--port=0', ...args], { ANYCABLE_SECRET: SECRET, ...env })
      await cli.listening
      assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status, 200)
      cli.child.kill('SIGKILL')
      await cli.exited
    }
  })

  test('--ping_interval, --max_message_size and --allowed_origins (and their variables)', async t => {
    for (const [args, env] of [
      [['--ping_interval=1', '--max_message_size=1024', '--allowed_origins=https://app.example'], {}],
      [[], { ANYCABLE_PING_INTERVAL: '1', ANYCABLE_MAX_MESSAGE_SIZE: '1024', ANYCABLE_ALLOWED_ORIGINS: 'https://app.example' }],
    ]) {
      const cli = run(t, ['--port=0', ...args], { ANYCABLE_SECRET: SECRET, ...env })
      const url = await cli.listening
      const raw = rawClient(t, url, token())
      await raw.welcomed()
      // Two pings within 4 s: at the default 3 s interval the second comes after 4.5 s at the earliest.
      await raw.frame(() => raw.frames.filter(frame => frame.type === 'ping').length >= 2, 4000, 'two pings within 4 s')
      raw.send({ command: 'subscribe', identifier: 'x'.repeat(1024) })
      assert.equal((await raw.closed).code, 1009)
      assert.equal(await upgradeStatus(url, 'https://evil.example'), 403)
      assert.equal(await upgradeStatus(url, 'https://app.example'), 101)
    }
  })
})

test('the start-up line never contains a configured secret or key', async t => {
  const secrets = { secret: 'cli-secret-1', jwt_secret: 'cli-secret-2', streams_secret: 'cli-secret-3', broadcast_key: 'cli-secret-4' }
  const cli = run(t, ['--port=0', ...Object.entries(secrets).map(([flag, value]) => `--${flag}=${value}`)])
  const url = await cli.listening
  // A client session runs too, so anything logged per connection shows up here as well.
  await rawClient(t, url, generateToken({ user_id: 1 }, { secret: 'cli-secret-2' })).welcomed()
  cli.child.kill('SIGTERM')
  await cli.exited
  for (const value of [...Object.values(secrets), broadcastKey('cli-secret-1')]) assert.ok(!cli.output().includes(value), `${value} printed`)

  const fromEnv = run(t, ['--port=0'], { ANYCABLE_SECRET: 'env-secret-1', ANYCABLE_BROADCAST_KEY: 'env-secret-2' })
  await fromEnv.listening
  assert.ok(!/env-secret/.test(fromEnv.output()), fromEnv.output())
})

test('SIGINT tells every client to reconnect and exits 0', async t => {
  const cli = run(t, ['--port=0'], { ANYCABLE_SECRET: SECRET })
  const cable = client(t, await cli.listening, { auth: { token: token() } })
  await cable.connect()
  const disconnected = next(cable, 'disconnect')
  cli.child.kill('SIGINT')
  assert.equal((await disconnected).reason, 'server_restart')
  assert.equal(await cli.exited, 0)
})

test('--dev prints a one-liner that mints a token the printed URL accepts', async t => {
  const cli = run(t, ['--dev', '--port=0'])
  const url = await cli.listening
  await until(() => /mint a token: .*\n/.test(cli.output()), 5000, 'the one-liner')
  const oneLiner = /mint a token: (.*)\n/.exec(cli.output())[1]
  // Run as a user would paste it, in the project that has anycable-rs.
  const minted = execFileSync('sh', ['-c', oneLiner], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' }).trim()
  await rawClient(t, url, minted).welcomed()
})
