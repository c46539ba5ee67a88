// Cross-node broadcast latency through Redis: 3 nodes (CLI processes) on one redis-server with
// SUBSCRIBERS clients each, against one node alone with the same clients, in one run: the nodes
// either share broadcasts through pub/sub (each with its memory broker) or register them with the
// Redis broker (one epoch and offset sequence, delivered from the fan-out channel). A publisher
// POSTs timestamped messages to node 1's /_broadcast; every client records publish -> receipt.
// Then benchmark/redis-registrations.mjs: registrations per second.
import { fork, spawn } from 'node:child_process'
import os from 'node:os'
import { broadcastKey } from '../index.js'
import { freePort } from '../__test__/support/redis.mjs'

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000)
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 30)
const SECRET = 'bench-secret'
const BIN = new URL('../bin/anycable-rs.js', import.meta.url).pathname
const WORKER = new URL('./redis/subscribers.mjs', import.meta.url).pathname
const children = []

function track(child) {
  children.push(child)
  return child
}

async function startRedis() {
  const port = await freePort()
  track(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }))
  await new Promise(resolve => setTimeout(resolve, 300))
  return `redis://127.0.0.1:${port}`
}

function startNode(args) {
  const child = track(spawn(process.execPath, [BIN, '--port=0', ...args], { env: { PATH: process.env.PATH, ANYCABLE_SECRET: SECRET }, stdio: ['ignore', 'pipe', 'inherit'] }))
  return new Promise(resolve => {
    let output = ''
    child.stdout.on('data', chunk => {
      output += chunk
      const url = /listening on (ws:\/\/\S+)/.exec(output)?.[1]
      if (url) resolve(url)
    })
  })
}

function startSubscribers(url) {
  const worker = track(fork(WORKER, [url, String(SUBSCRIBERS), SECRET, 'bench']))
  const ready = new Promise(resolve => worker.once('message', resolve))
  const report = () =>
    new Promise(resolve => {
      worker.once('message', message => resolve(message.latencies))
      worker.send('report')
    })
  return { ready, report }
}

async function measure(nodeArgs, nodeCount) {
  const urls = await Promise.all(Array.from({ length: nodeCount }, () => startNode(nodeArgs)))
  const workers = urls.map(startSubscribers)
  await Promise.all(workers.map(w => w.ready))
  const endpoint = urls[0].replace('ws://', 'http://').replace(/\/cable$/, '/_broadcast')
  for (let n = 0; n < MESSAGES; n++) {
    const data = JSON.stringify({ n, t: performance.timeOrigin + performance.now(), pad: 'x'.repeat(160) })
    await fetch(endpoint, { method: 'POST', headers: { Authorization: `Bearer ${broadcastKey(SECRET)}` }, body: JSON.stringify({ stream: 'bench', data }) })
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  await new Promise(resolve => setTimeout(resolve, 500))
  const latencies = (await Promise.all(workers.map(w => w.report()))).flat().sort((a, b) => a - b)
  const at = p => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]
  return { delivered: latencies.length, expected: MESSAGES * SUBSCRIBERS * nodeCount, p50: at(0.5), p99: at(0.99), max: latencies.at(-1) }
}

const stopAll = () => children.forEach(child => child.kill('SIGKILL'))
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopAll()
    process.exit(1)
  })
}

try {
  const redisUrl = await startRedis()
  const single = await measure([], 1)
  for (const child of children.splice(1)) child.kill('SIGKILL')
  const pubsub = await measure([`--redis_url=${redisUrl}`, '--broadcast_adapter=redis', '--pubsub=redis'], 3)
  for (const child of children.splice(1)) child.kill('SIGKILL')
  const broker = await measure([`--redis_url=${redisUrl}`, '--broker=redis'], 3)
  console.log(`Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0].model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB; ${MESSAGES} broadcasts of ~200 bytes, ${SUBSCRIBERS} subscribers per node`)
  console.log('| setup | delivered / expected | p50 (ms) | p99 (ms) | max (ms) |')
  console.log('|---|---:|---:|---:|---:|')
  const rows = [
    ['1 node, no Redis', single],
    ['3 nodes, pub/sub (memory broker each)', pubsub],
    ['3 nodes, Redis broker', broker],
  ]
  for (const [name, r] of rows) {
    console.log(`| ${name} | ${r.delivered} / ${r.expected} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.max.toFixed(2)} |`)
  }
} finally {
  stopAll()
}
