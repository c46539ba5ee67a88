// examples/nextjs as a user deploys it: the packed package (root and this platform's binary, as
// npm installs them from the registry) installed into a copy of the app with no Rust on PATH
// (scripts/nextjs-example.mjs), `next build`, `next start`, and an embedded cable server whose
// application channels are the app's RPC route. Real clients: @anycable/core in this process and the page in Chromium.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { Status, createCableServer, rpcKey, verifyStream, verifyToken } from '../index.mjs'
import { client, collect, until } from './support/cable.mjs'
import { ENV, TARGET } from '../scripts/pack-local.mjs'
import { installExample } from '../scripts/nextjs-example.mjs'
import { signed } from './support/token-corpus.mjs'

const EXAMPLE = fileURLToPath(new URL('../examples/nextjs/', import.meta.url))
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const SECRET = 'nextjs-example-secret'
const BUILD_ENV = { ...ENV, ANYCABLE_SECRET: SECRET, NEXT_TELEMETRY_DISABLED: '1' }

/** A copy of the example in `scratch`, installed as `npm run example:nextjs` installs it. */
function copyOfExample(scratch) {
  const app = path.join(scratch, 'app')
  cpSync(EXAMPLE, app, { recursive: true, filter: source => !/(^|\/)(node_modules|\.next|package-lock\.json)(\/|$)/.test(path.relative(EXAMPLE, source)) })
  installExample(app)
  return app
}

function nextCli(app, args) {
  return execFileSync(process.execPath, [path.join(app, 'node_modules/next/dist/bin/next'), ...args], { cwd: app, env: BUILD_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

async function freePort() {
  const server = createServer()
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise(resolve => server.close(resolve))
  return port
}

/** `next start` on `port`, stopped after the test; resolves once it answers. */
async function startNext(t, app, port, env) {
  const child = spawn(process.execPath, [path.join(app, 'node_modules/next/dist/bin/next'), 'start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: app,
    env: { ...BUILD_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', chunk => (output += chunk))
  child.stderr.on('data', chunk => (output += chunk))
  t.after(() => child.kill('SIGKILL'))
  const origin = `http://127.0.0.1:${port}`
  await until(async () => {
    if (child.exitCode !== null) throw new Error(`next start exited: ${output}`)
    return fetch(`${origin}/api/cable-token`).then(() => true, () => false)
  }, 30_000, 'next start')
  return { origin, output: () => output }
}

/** The app's /account through the proxy (or middleware): without a cookie, then with `token`. */
async function account(origin, token) {
  const refused = await fetch(`${origin}/account`)
  const admitted = await fetch(`${origin}/account`, { headers: { cookie: `cable_token=${token}` } })
  return { refused: [refused.status, await refused.text()], admitted: [admitted.status, await admitted.text()] }
}

test('the Next.js example builds, starts, and serves tokens, channels and a page that real clients use', { timeout: 600_000 }, async t => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'anycable-rs-nextjs-'))
  t.after(() => rmSync(scratch, { recursive: true, force: true }))
  const app = copyOfExample(scratch)
  nextCli(app, ['build'])
  const built = file => readFileSync(path.join(app, '.next', file), 'utf8')

  await t.test('the build traces the native binary into the Node route and keeps it out of the Edge route', () => {
    // Vercel packages each Node function from its .nft.json (output file tracing).
    const traced = JSON.parse(built('server/app/api/cable-token/route.js.nft.json')).files
    assert.ok(traced.some(file => file.endsWith(`/anycable-rs-${TARGET}/anycable-rs.${TARGET}.node`)), traced.join('\n'))
    const edge = JSON.parse(built('server/middleware-manifest.json')).functions['/api/cable-verify/route']
    assert.ok(edge, 'the Edge route is an Edge function')
    const code = edge.files.map(file => built(file)).join('\n')
    assert.match(code, /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/, 'the Edge build is bundled')
    assert.doesNotMatch(code, /\.node\b["']|binding\.js/)
  })

  const nextPort = await freePort()
  const cable = createCableServer({ port: 0, secret: SECRET, rpcHost: `http://127.0.0.1:${nextPort}/api/anycable` })
  const { url } = await cable.listen()
  t.after(() => cable.close())
  const { origin, output } = await startNext(t, app, nextPort, {
    CABLE_URL: url,
    CABLE_BROADCAST_URL: url.replace(/^ws/, 'http').replace(/\/cable$/, '/_broadcast'),
  })
  const issued = await fetch(`${origin}/api/cable-token?user=42&room=lobby`)
  const { token, stream, url: advertised } = await issued.json()

  await t.test('the Node route issues a token (native addon) and a signed stream, and sets the cookie', async () => {
    assert.equal(issued.status, 200)
    assert.equal(advertised, url)
    assert.deepEqual(verifyToken(token, { secret: SECRET }), { user_id: '42' })
    assert.equal(verifyStream(stream, SECRET), 'notices/lobby')
    assert.match(issued.headers.get('set-cookie'), new RegExp(`^cable_token=${token}; Path=/; HttpOnly`))
    assert.equal((await fetch(`${origin}/api/cable-token`)).status, 401)
  })

  await t.test('the Edge route verifies tokens on the Edge runtime, with jose\'s codes', async () => {
    const verify = async bearer => {
      const response = await fetch(`${origin}/api/cable-verify`, { headers: { authorization: `Bearer ${bearer}` } })
      return [response.status, await response.json()]
    }
    assert.deepEqual(await verify(token), [200, { identifiers: { user_id: '42' }, runtime: 'edge' }])
    const now = Math.floor(Date.now() / 1000)
    const forged = signed({ alg: 'HS256' }, { ext: '{"user_id":"42"}', exp: now + 60, iat: now }, { secret: 'another-secret' })
    assert.deepEqual(await verify(forged), [401, { error: 'unauthorized', code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' }])
    const expired = signed({ alg: 'HS256' }, { ext: '{"user_id":"42"}', exp: now - 1, iat: now - 60 }, { secret: SECRET })
    assert.deepEqual(await verify(expired), [401, { error: 'token_expired', code: 'ERR_JWT_EXPIRED' }])
    assert.deepEqual(await verify('not-a-token'), [401, { error: 'unauthorized', code: 'ERR_JWS_INVALID' }])
  })

  await t.test('a real client connects with the token, joins the app\'s channel and chats through it', { timeout: 30_000 }, async t => {
    const ann = client(t, url, { auth: { token } })
    const notices = collect(ann.streamFromSigned(stream))
    const room = ann.subscribeTo('chat', { room: 'lobby' })
    const said = collect(room)
    await room.ensureSubscribed()
    // speak runs in the Next.js route, which broadcasts over HTTP back to the server.
    await room.perform('speak', { body: 'hello from ann' })
    await until(() => said.length > 0, 10_000, 'the broadcast of speak')
    assert.deepEqual(said, [{ user: '42', body: 'hello from ann' }])
    cable.broadcast('notices/lobby', { text: 'maintenance at noon' })
    await until(() => notices.length > 0, 5000, 'a notice')
    assert.deepEqual(notices, [{ text: 'maintenance at noon' }])
    // The app rejects a subscription without a room.
    await assert.rejects(ann.subscribeTo('chat', {}).ensureSubscribed())
  })

  await t.test('a client without a token reaches the app\'s connect, which refuses it', async t => {
    const stranger = client(t, url, { websocketAuthStrategy: 'param' })
    await assert.rejects(stranger.connect(), error => error.reason === 'unauthorized')
  })

  await t.test('the RPC route answers only a server that knows the secret', async () => {
    const call = authorization => fetch(`${origin}/api/anycable/connect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization && { authorization }) },
      body: JSON.stringify({ env: { url: 'http://localhost/cable', headers: {} } }),
    })
    assert.equal((await call()).status, 401)
    assert.equal((await call(`Bearer ${rpcKey('another-secret')}`)).status, 401)
    const answered = await call(`Bearer ${rpcKey(SECRET)}`)
    assert.equal(answered.status, 200)
    // The app's connect refuses a connection without identifiers.
    assert.equal((await answered.json()).status, Status.FAILURE)
  })

  await t.test('the proxy (Node runtime, native build) admits only a valid token cookie', async () => {
    const { refused, admitted } = await account(origin, token)
    assert.deepEqual(refused, [401, 'unauthorized'])
    assert.equal(admitted[0], 200)
    assert.match(admitted[1], /signed in as <!-- -->42/)
  })

  await t.test('two pages in Chromium chat through the app and the server', { timeout: 60_000 }, async t => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
    t.after(() => browser.close())
    const open = async user => {
      const page = await browser.newPage()
      await page.goto(`${origin}/?user=${user}`)
      await page.locator('#state', { hasText: `joined lobby as ${user}` }).waitFor({ timeout: 20_000 })
      return page
    }
    const [ann, bob] = [await open('ann'), await open('bob')]
    await ann.fill('input[name=body]', 'hi bob')
    await ann.click('button')
    const received = bob.locator('#messages li', { hasText: 'hi bob' })
    await received.waitFor({ timeout: 10_000 })
    assert.equal(await received.locator('b').textContent(), 'ann')
    cable.broadcast('notices/lobby', { text: 'to every page' })
    await ann.locator('#messages li', { hasText: 'to every page' }).waitFor({ timeout: 10_000 })
  })

  assert.doesNotMatch(output(), /error/i)
})

// Next 15 has no proxy.js: the same code is middleware.js exporting `middleware`, and runs on the
// Edge runtime, where `anycable-rs` is the Edge build. Next 16 still runs middleware.js that way.
test('without serverExternalPackages the build fails; the proxy\'s code as Edge middleware (Next 15\'s way) admits the same tokens', { timeout: 600_000 }, async t => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'anycable-rs-nextjs-edge-'))
  t.after(() => rmSync(scratch, { recursive: true, force: true }))
  const app = copyOfExample(scratch)

  // The README's reason for serverExternalPackages: without it, Turbopack tries to bundle the addon.
  const config = path.join(app, 'next.config.mjs')
  const configured = readFileSync(config, 'utf8')
  writeFileSync(config, 'export default {}\n')
  assert.throws(() => nextCli(app, ['build']), error => /anycable-rs\.[\w-]+\.node \(node addon\) is not placeable/.test(error.stdout + error.stderr))
  writeFileSync(config, configured)

  const proxy = readFileSync(path.join(app, 'proxy.js'), 'utf8')
  writeFileSync(path.join(app, 'middleware.js'), proxy.replace('export async function proxy(', 'export async function middleware('))
  rmSync(path.join(app, 'proxy.js'))
  nextCli(app, ['build'])
  const manifest = JSON.parse(readFileSync(path.join(app, '.next/server/middleware-manifest.json'), 'utf8'))
  assert.deepEqual(Object.keys(manifest.middleware), ['/'], 'middleware.js is built for the Edge runtime')

  const { origin } = await startNext(t, app, await freePort(), {})
  const { token } = await (await fetch(`${origin}/api/cable-token?user=7`)).json()
  const { refused, admitted } = await account(origin, token)
  assert.deepEqual(refused, [401, 'unauthorized'])
  assert.equal(admitted[0], 200)
  assert.match(admitted[1], /signed in as <!-- -->7/)
})

// The README shows the example's next.config and proxy; the test above runs the example's.
test('the README\'s next.config.mjs and proxy.js are the example\'s', async () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const block = firstLine => readme.match(new RegExp(`\`\`\`js\\n(${firstLine}[^\\n]*\\n[\\s\\S]*?)\`\`\``))[1]
  const code = text => text.split('\n').filter(line => line.trim() && !line.trim().startsWith('//')).join('\n')
  const imported = async text => (await import(`data:text/javascript,${encodeURIComponent(text)}`)).default
  assert.deepEqual(await imported(block('// next.config.mjs')), await imported(readFileSync(path.join(EXAMPLE, 'next.config.mjs'), 'utf8')))
  assert.equal(code(block('// proxy.js')), code(readFileSync(path.join(EXAMPLE, 'proxy.js'), 'utf8')))
})
