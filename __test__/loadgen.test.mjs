// A small run of the Rust load generator against the embedded server, so bench:server keeps working.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { startServer, SECRET } from './support/cable.mjs'

const LOADGEN = fileURLToPath(new URL('../target/debug/anycable-loadgen', import.meta.url))

test('200 clients connect, subscribe and receive every broadcast', async t => {
  const { port } = await startServer(t)
  const { stdout } = await promisify(execFile)(LOADGEN, [
    `--url=ws://127.0.0.1:${port}/cable`,
    `--broadcast-url=http://127.0.0.1:${port}/_broadcast`,
    `--secret=${SECRET}`,
    '--clients=200',
    '--messages=3',
    '--interval-ms=50',
    `--server-pid=${process.pid}`,
  ])
  const report = JSON.parse(stdout)
  assert.equal(report.connected, 200)
  assert.equal(report.connect_failures, 0)
  assert.equal(report.broadcasts_sent, 3)
  assert.equal(report.delivered, report.expected)
  assert.equal(report.expected, 600)
  assert.ok(report.broadcast_ms.p99 >= report.broadcast_ms.p50)
  assert.equal(typeof report.idle_kib_per_connection, 'number')
})
