// The server example runs as its README says (examples/nextjs has __test__/nextjs.test.mjs).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { generateToken } from '../index.mjs'
import { client, collect, until } from './support/cable.mjs'

const EXAMPLES = fileURLToPath(new URL('../examples/', import.meta.url))
const SECRET = 'examples-secret'

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

test('the prom-client example exports the cable metrics through its own registry', { timeout: 20_000 }, async t => {
  const child = spawn(process.execPath, [`${EXAMPLES}metrics-prom-client.mjs`], {
    env: { ...process.env, ANYCABLE_SECRET: SECRET, PORT: '0', METRICS_PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  t.after(() => child.kill('SIGKILL'))
  const [url, metricsUrl] = await new Promise(resolve => {
    let output = ''
    child.stdout.on('data', chunk => {
      output += chunk
      const match = /listening on (\S+); metrics at (\S+)/.exec(output)
      if (match) resolve([match[1], match[2]])
    })
  })
  await client(t, url, { auth: { token: generateToken({ user_id: 1 }, { secret: SECRET }) } }).connect()
  const text = await (await fetch(metricsUrl)).text()
  assert.match(text, /^anycable_go_clients_num 1$/m)
  assert.match(text, /^# TYPE anycable_go_outbox_depth histogram$/m)
  assert.match(text, /^anycable_go_outbox_depth_bucket\{le="\+Inf"\} \d+$/m)
  assert.match(text, /^anycable_go_disconnect_total\{reason="unauthorized"\} 0$/m)
  // The app's own metrics and prom-client's process metrics sit beside them.
  assert.match(text, /^app_metrics_scrapes_total 1$/m)
  assert.match(text, /^process_cpu_user_seconds_total /m)
})
