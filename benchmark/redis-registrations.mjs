// Registrations per second on the Redis broker against Redis's own ceiling for the same script:
// `redis-benchmark` calls EVALSHA of register.lua (one publication per call, 4 connections, 32
// pipelined) with one subscriber on the fan-out channel, as a node would have; then an
// in-process `broker: 'redis'` server registers 200,000 `server.broadcast`s (batched, up to 128
// per script call). The ratio ours / redis-benchmark is the figure: above 1 means batching
// amortises the per-call cost that redis-benchmark pays every time.
import { execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { createCableServer } from '../index.js'
import { freePort } from '../__test__/support/redis.mjs'

const TOTAL = Number(process.env.BENCH_REGISTRATIONS ?? 200000)
const CHUNK = 20000
const SCRIPTS = new URL('../crates/anycable-core/src/broker/redis/scripts/', import.meta.url)
const DATA = JSON.stringify({ text: 'x'.repeat(180), n: 1 })
const children = []

const track = child => {
  children.push(child)
  return child
}
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

async function startRedis() {
  const port = await freePort()
  track(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }))
  for (let tries = 0; tries < 100; tries++) {
    try {
      execFileSync('redis-cli', ['-p', String(port), 'PING'], { stdio: 'ignore' })
      return port
    } catch {
      await sleep(50)
    }
  }
  throw new Error('redis-server did not start')
}

const cli = (port, ...args) => execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).trim()

/** EVALSHA of register.lua through redis-benchmark; requests (= registrations) per second. */
function redisBenchmark(port) {
  const source = ['prelude.lua', 'register.lua'].map(name => readFileSync(new URL(name, SCRIPTS), 'utf8')).join('')
  const sha = cli(port, 'SCRIPT', 'LOAD', source)
  const runId = /run_id:(\S+)/.exec(cli(port, 'INFO', 'server'))[1]
  const keys = ['$acrs:epoch', '$acrs:hw', '$acrs:o:rb', '$acrs:h:rb']
  const args = ['CAND', runId, '100', '300', '3000', '$acrs:fanout', '', '', 'rb', DATA, '', 'm']
  const output = execFileSync(
    'redis-benchmark',
    ['-p', String(port), '-n', String(TOTAL), '-c', '4', '-P', '32', '-q', 'EVALSHA', sha, String(keys.length), ...keys, ...args],
    { encoding: 'utf8' },
  )
  const rate = /([\d.]+) requests per second/.exec(output)?.[1]
  if (!rate) throw new Error(`unexpected redis-benchmark output: ${output}`)
  const registered = Number(cli(port, 'HGET', '$acrs:o:rb', 'n'))
  if (registered < TOTAL) throw new Error(`redis-benchmark registered ${registered} of ${TOTAL}`)
  return Number(rate)
}

/** 200,000 server.broadcast on an in-process node; registrations per second. */
async function ours(port) {
  const server = createCableServer({ port: 0, secret: 'bench-secret', broker: 'redis', redisUrl: `redis://127.0.0.1:${port}` })
  await server.listen()
  const registered = () => Number(cli(port, 'HGET', '$acrs:o:rs', 'n') || 0)
  try {
    const started = performance.now()
    for (let sent = 0; sent < TOTAL; sent += CHUNK) {
      // Stays well under the publication queue's 65,536.
      while (sent - registered() > 2 * CHUNK) await sleep(5)
      for (let n = 0; n < CHUNK; n++) server.broadcast('rs', DATA)
      await yieldToLoop()
    }
    while (registered() < TOTAL) await sleep(5)
    return TOTAL / ((performance.now() - started) / 1000)
  } finally {
    await server.close()
  }
}

const stopAll = () => children.forEach(child => child.kill('SIGKILL'))
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopAll()
    process.exit(1)
  })
}

try {
  const port = await startRedis()
  // A node's fan-out subscription: every PUBLISH of the script goes to one subscriber.
  track(spawn('redis-cli', ['-p', String(port), 'SUBSCRIBE', '$acrs:fanout'], { stdio: 'ignore' }))
  await sleep(200)
  const reference = redisBenchmark(port)
  const ourRate = await ours(port)
  console.log(`Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0].model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB; ${TOTAL} registrations of ~200 bytes, one stream`)
  console.log('| client | registrations/s |')
  console.log('|---|---:|')
  console.log(`| redis-benchmark, EVALSHA register.lua (-c 4 -P 32) | ${Math.round(reference)} |`)
  console.log(`| server.broadcast, Redis broker | ${Math.round(ourRate)} |`)
  console.log(`ratio ours / redis-benchmark: ${(ourRate / reference).toFixed(2)}`)
} finally {
  stopAll()
}
