// The floor row of bench:server (crates/loadgen's anycable-floor, debug build): the generator's
// clients get every broadcast from it, in the same bytes the embedded server sends.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { broadcastKey, signStream } from '../index.mjs'
import { SECRET, startServer, token } from './support/cable.mjs'

const FLOOR = fileURLToPath(new URL('../target/debug/anycable-floor', import.meta.url))
const LOADGEN = fileURLToPath(new URL('../target/debug/anycable-loadgen', import.meta.url))

/** A running floor, killed after the test; resolves with its process and port. */
async function startFloor(t) {
  const child = spawn(FLOOR, [], { env: { ...process.env, SECRET, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] })
  t.after(() => child.kill('SIGKILL'))
  let output = ''
  for await (const chunk of child.stdout) {
    output += chunk
    const port = /listening (\d+)/.exec(output)?.[1]
    if (port) return { child, port: Number(port) }
  }
  throw new Error(`the floor exited before listening: ${output}`)
}

/** POSTs `body` to `/_broadcast` on `port` with `key`; resolves with the HTTP status. */
async function broadcast(port, body, key = broadcastKey(SECRET)) {
  const response = await fetch(`http://127.0.0.1:${port}/_broadcast`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return response.status
}

/**
 * A raw WebSocket client subscribed to `$pubsub` with `signedStream`, as the generator's are;
 * resolves with its socket and `received` (every text frame), or rejects if not confirmed.
 */
async function rawSubscriber(t, port, signedStream) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/cable`, ['actioncable-v1-json', `anycable-token.${token()}`])
  t.after(() => ws.terminate())
  const received = []
  ws.on('message', text => received.push(String(text)))
  await once(ws, 'open')
  const identifier = JSON.stringify({ channel: '$pubsub', signed_stream_name: signedStream })
  ws.send(JSON.stringify({ command: 'subscribe', identifier }))
  const deadline = Date.now() + 5000
  while (!received.some(text => JSON.parse(text).type === 'confirm_subscription')) {
    if (ws.readyState !== WebSocket.OPEN || Date.now() > deadline) throw new Error(`not confirmed: ${received}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
  return { ws, received }
}

/** The broadcast frames among `received` (not welcome, ping or confirmation). */
const broadcasts = received => received.filter(text => JSON.parse(text).type === undefined)

test("the generator's clients get every broadcast from the floor, with the floor's CPU read", async t => {
  const { child, port } = await startFloor(t)
  const { stdout } = await promisify(execFile)(LOADGEN, [
    `--url=ws://127.0.0.1:${port}/cable`,
    `--broadcast-url=http://127.0.0.1:${port}/_broadcast`,
    `--secret=${SECRET}`,
    `--server-pid=${child.pid}`,
    '--clients=100',
    '--messages=3',
    '--interval-ms=50',
  ])
  const report = JSON.parse(stdout)
  assert.equal(report.connect_failures, 0)
  assert.equal(report.expected, 300)
  assert.equal(report.delivered, 300)
  assert.equal(typeof report.server_cpu_ms_per_broadcast, 'number')
})

test('the floor writes the same broadcast frame as the embedded server', async t => {
  const servers = [(await startServer(t)).port, (await startFloor(t)).port]
  const data = JSON.stringify({ n: 1, t: 1700000000000000, pad: 'x'.repeat(160) })
  const frames = []
  for (const port of servers) {
    const { received } = await rawSubscriber(t, port, signStream('bench', SECRET))
    assert.equal(await broadcast(port, { stream: 'bench', data }), 201)
    const deadline = Date.now() + 5000
    while (broadcasts(received).length === 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 10))
    frames.push(broadcasts(received))
  }
  // Each process has its own random four-character epoch; everything else is the same bytes.
  const sameEpoch = text => text.replace(/"epoch":"[^"]{4}"/, '"epoch":"EPOC"')
  assert.equal(frames[0].length, 1)
  assert.deepEqual(frames[1].map(sameEpoch), frames[0].map(sameEpoch))
})

test('the floor refuses broadcasts without the key and streams not signed with the secret', async t => {
  const { port } = await startFloor(t)
  assert.equal(await broadcast(port, { stream: 'bench', data: '{}' }, 'wrong-key'), 401)
  await assert.rejects(rawSubscriber(t, port, signStream('bench', 'another-secret')), /not confirmed/)
  const { received } = await rawSubscriber(t, port, signStream('bench', SECRET))
  assert.equal(await broadcast(port, [{ stream: 'bench', data: '{"a":1}' }, { stream: 'other', data: '{"b":2}' }]), 201)
  await new Promise(resolve => setTimeout(resolve, 200))
  assert.deepEqual(broadcasts(received).map(text => JSON.parse(text).message), [{ a: 1 }])
})
