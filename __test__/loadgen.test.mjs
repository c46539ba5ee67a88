// A small run of the Rust load generator against the embedded server, so bench:server keeps working.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import http from 'node:http'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { WebSocketServer } from 'ws'
import { startServer, SECRET } from './support/cable.mjs'

const LOADGEN = fileURLToPath(new URL('../target/debug/anycable-loadgen', import.meta.url))

/** The generator's JSON report of one run against the server on `port`, with `args` added. */
async function loadgen(port, args) {
  const { stdout } = await promisify(execFile)(LOADGEN, [
    `--url=ws://127.0.0.1:${port}/cable`,
    `--broadcast-url=http://127.0.0.1:${port}/_broadcast`,
    `--secret=${SECRET}`,
    `--server-pid=${process.pid}`,
    ...args,
  ])
  return JSON.parse(stdout)
}

test('200 clients connect, subscribe and receive every broadcast', async t => {
  const { port } = await startServer(t)
  const report = await loadgen(port, ['--clients=200', '--messages=3', '--interval-ms=50'])
  assert.equal(report.connected, 200)
  assert.equal(report.connect_failures, 0)
  assert.equal(report.broadcasts_sent, 3)
  assert.equal(report.delivered, report.expected)
  assert.equal(report.expected, 600)
  assert.ok(report.broadcast_ms.p99 >= report.broadcast_ms.p50)
  assert.equal(typeof report.idle_kib_per_connection, 'number')
})

test('clients on the extended protocol receive every broadcast, any offsets in order', async t => {
  const { port } = await startServer(t, { broker: 'memory' })
  const report = await loadgen(port, ['--protocol=cable-ext', '--clients=50', '--messages=3', '--interval-ms=50'])
  assert.equal(report.connect_failures, 0)
  assert.equal(report.delivered, 150)
  assert.equal(report.offsets_out_of_order, 0)
})

test('the restore avalanche reconnects every client with its sid and is restored', async t => {
  const { port } = await startServer(t, { broker: 'memory' })
  const report = await loadgen(port, ['--scenario=restore', '--protocol=cable-ext', '--clients=50', '--restore-after-ms=100'])
  assert.equal(report.connected, 50)
  assert.equal(report.restore_failures, 0)
  assert.equal(report.restored, 50)
  assert.equal(report.not_restored, 0)
  assert.equal(report.delivered_after_restore, 50)
  assert.equal(typeof report.connect_all_ms, 'number')
})

test('the history scenario broadcasts every message to every stream, in batches', async t => {
  const { port } = await startServer(t, { broker: 'memory' })
  const report = await loadgen(port, ['--scenario=history', '--history-streams=1500', '--history-messages=2'])
  assert.equal(report.published, 3000)
  assert.equal(report.accepted, 3000)
  assert.equal(report.message_bytes, 200)
  assert.ok(report.rss_after_kib > 0)
})

/**
 * A stand-in for a server that restores sessions, checking the generator's own bookkeeping apart
 * from any server: a session's sid, offered back once with ?sid=, restores its subscription;
 * broadcasts reach restored sessions.
 */
async function restoringServer(t) {
  const issued = new Set()
  const restored = new Set()
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', chunk => (body += chunk))
    req.on('end', () => {
      const { data } = JSON.parse(body)
      const frame = `{"identifier":"bench","message":${data},"stream_id":"bench","epoch":"e1","offset":1}`
      for (const ws of restored) ws.send(frame)
      res.writeHead(201).end()
    })
  })
  const wss = new WebSocketServer({ server, handleProtocols: () => 'actioncable-v1-ext-json' })
  let sessions = 0
  wss.on('connection', (ws, req) => {
    const previous = new URL(req.url, 'http://localhost').searchParams.get('sid')
    const sid = `sid-${sessions++}`
    issued.add(sid)
    if (issued.delete(previous)) {
      restored.add(ws)
      ws.on('close', () => restored.delete(ws))
      ws.send(JSON.stringify({ type: 'welcome', sid, restored: true, restored_ids: ['bench'] }))
      return
    }
    ws.send(JSON.stringify({ type: 'welcome', sid }))
    ws.on('message', text => {
      const { identifier } = JSON.parse(text)
      ws.send(JSON.stringify({ type: 'confirm_subscription', identifier }))
    })
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    for (const ws of wss.clients) ws.terminate()
    server.close()
  })
  return server.address().port
}

test('the restore avalanche offers each client its previous sid and times the restored welcomes', async t => {
  const port = await restoringServer(t)
  const report = await loadgen(port, ['--scenario=restore', '--protocol=cable-ext', '--clients=50', '--restore-after-ms=100'])
  assert.equal(report.restored, 50)
  assert.equal(report.not_restored, 0)
  assert.equal(report.delivered_after_restore, 50)
  assert.ok(report.restore_all_ms >= report.restore_ms.p99)
})
