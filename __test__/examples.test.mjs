// The examples run as their README says.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { generateToken, verifyToken, verifyStream } from '../index.mjs'
import { client, collect, until } from './support/cable.mjs'

const EXAMPLES = fileURLToPath(new URL('../examples/', import.meta.url))
const SECRET = 'examples-secret'

test('the Next.js route handler issues a token and a signed stream name', () => {
  const output = execFileSync(
    process.execPath,
    ['--disable-warning=MODULE_TYPELESS_PACKAGE_JSON', `${EXAMPLES}nextjs/call-route.mjs`, '42', 'lobby'],
    { env: { ...process.env, ANYCABLE_SECRET: SECRET }, encoding: 'utf8' },
  )
  const [status, body] = [output.slice(0, 3), JSON.parse(output.slice(4))]
  assert.equal(status, '200')
  assert.deepEqual(verifyToken(body.token, { secret: SECRET }), { user_id: '42' })
  assert.equal(verifyStream(body.stream, SECRET), 'chat/lobby')
})

test('the server example streams the clock to a subscribed client', { timeout: 20_000 }, async t => {
  const child = spawn(process.execPath, [`${EXAMPLES}server.mjs`], {
    env: { ...process.env, ANYCABLE_SECRET: SECRET, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  t.after(() => child.kill('SIGKILL'))
  const [url, signed] = await new Promise(resolve => {
    let output = ''
    child.stdout.on('data', chunk => {
      output += chunk
      const match = /listening on (\S+); subscribe to the signed stream (\S+)/.exec(output)
      if (match) resolve([match[1], match[2]])
    })
  })
  const cable = client(t, url, { auth: { token: generateToken({ user_id: 1 }, { secret: SECRET }) } })
  const messages = collect(cable.streamFromSigned(signed))
  await until(() => messages.length > 0, 5000, 'a clock tick')
  assert.ok(!Number.isNaN(Date.parse(messages[0].now)))
})
