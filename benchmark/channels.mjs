// Application channel round trips, in-process Application vs the same Application behind
// RPC-over-HTTP (this package's `handler` on node:http, loopback, as a Next.js route would run it),
// measured in one run:
//   subscribe: subscribe command -> confirm_subscription
//   perform:   message command -> the channel's broadcast arrives back at the client
// Both channels broadcast with server.broadcast, so the only difference is the RPC hop. A `$pubsub`
// subscribe (answered by the server, no application) is the floor: the client and WebSocket cost.
// The same application built with serverless-js's classes and handler runs in the same rounds, to
// compare the drop-in with what it replaces.
import http from 'node:http'
import os from 'node:os'
import { Readable } from 'node:stream'
import WebSocket from 'ws'
import * as ours from '../index.js'
import '../scripts/esm-dir-imports.mjs'

const { createCableServer, generateToken } = ours
const LIBRARIES = { 'anycable-rs': ours, 'serverless-js': await import('@anycable/serverless-js') }

const SECRET = 'bench-secret'
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200)

function chatApp({ Application, Channel }, broadcast) {
  class RoomChannel extends Channel {
    async subscribed(handle, params) {
      handle.streamFrom(`room:${params.roomId}`)
    }
    async say(handle, params, data) {
      broadcast(`room:${params.roomId}`, { said: data.n })
    }
  }
  const app = new Application()
  app.registerChannel('room', new RoomChannel())
  return app
}

async function rpcEndpoint({ handler }, app) {
  const server = http.createServer(async (req, res) => {
    const request = new Request(`http://127.0.0.1${req.url}`, { method: 'POST', headers: req.headers, body: Readable.toWeb(req), duplex: 'half' })
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(await handler(request, app)))
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${server.address().port}/anycable`, close: () => server.close() }
}

/** A raw protocol client: sends JSON, waits for the first frame matching a predicate. */
async function connect(url) {
  const token = generateToken({ user: 'bench' }, { secret: SECRET })
  const ws = new WebSocket(url, ['actioncable-v1-json', `anycable-token.${token}`])
  const waiters = []
  ws.on('message', data => {
    const frame = JSON.parse(data)
    const index = waiters.findIndex(w => w.match(frame))
    if (index >= 0) waiters.splice(index, 1)[0].resolve(frame)
  })
  const next = match => new Promise(resolve => waiters.push({ match, resolve }))
  const welcome = next(frame => frame.type === 'welcome')
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  await welcome
  return { send: value => ws.send(JSON.stringify(value)), next, close: () => ws.close() }
}

/** `mode` is `in-process` or `rpcHost`, with this package's classes or, after a slash, another library's. */
async function setup(mode) {
  let server
  const [transport, library = 'anycable-rs'] = mode.split('/')
  const app = chatApp(LIBRARIES[library], (stream, data) => server.broadcast(stream, data))
  const endpoint = transport === 'rpcHost' ? await rpcEndpoint(LIBRARIES[library], app) : undefined
  server = createCableServer({
    port: 0,
    secret: SECRET,
    publicStreams: true,
    // One client sends thousands of commands back to back: lift the per-connection rate limit
    // (100 per second by default), or it, not the application, sets the pace.
    commandRate: 1_000_000,
    ...(endpoint ? { rpcHost: endpoint.url } : { application: app }),
  })
  const { url } = await server.listen()
  const client = await connect(url)
  return {
    client,
    async close() {
      client.close()
      await server.close()
      endpoint?.close()
    },
  }
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6

/** subscribe -> confirm_subscription, then unsubscribe (not timed). */
async function subscribeRoundTrip({ client }, identifier) {
  const start = nowMs()
  const confirmed = client.next(frame => frame.identifier === identifier && frame.type === 'confirm_subscription')
  client.send({ command: 'subscribe', identifier })
  await confirmed
  const elapsed = nowMs() - start
  client.send({ command: 'unsubscribe', identifier })
  return elapsed
}

const roomIdentifier = i => JSON.stringify({ channel: 'room', roomId: `s${i}` })
const floorIdentifier = i => JSON.stringify({ channel: '$pubsub', stream_name: `floor${i}` })

async function performRoundTrip({ client }, i) {
  const identifier = JSON.stringify({ channel: 'room', roomId: 'perform' })
  const start = nowMs()
  const echoed = client.next(frame => frame.identifier === identifier && frame.message?.said === i)
  client.send({ command: 'message', identifier, data: JSON.stringify({ action: 'say', n: i }) })
  await echoed
  return nowMs() - start
}

const percentile = (values, p) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]

const modes = ['in-process', 'rpcHost', 'in-process/serverless-js', 'rpcHost/serverless-js']
const samples = Object.fromEntries(modes.flatMap(mode => [[`${mode} subscribe`, []], [`${mode} perform`, []]]))
samples.floor = []
const setups = Object.fromEntries(await Promise.all(modes.map(async mode => [mode, await setup(mode)])))
for (const mode of modes) {
  const { client } = setups[mode]
  const identifier = JSON.stringify({ channel: 'room', roomId: 'perform' })
  const confirmed = client.next(frame => frame.identifier === identifier && frame.type === 'confirm_subscription')
  client.send({ command: 'subscribe', identifier })
  await confirmed
}
for (let round = 0; round < ROUNDS; round++) {
  for (let i = 0; i < ITERATIONS; i++) {
    samples.floor.push(await subscribeRoundTrip(setups['in-process'], floorIdentifier(round * ITERATIONS + i)))
  }
  for (const mode of modes) {
    for (let i = 0; i < ITERATIONS; i++) {
      samples[`${mode} subscribe`].push(await subscribeRoundTrip(setups[mode], roomIdentifier(round * ITERATIONS + i)))
    }
    for (let i = 0; i < ITERATIONS; i++) samples[`${mode} perform`].push(await performRoundTrip(setups[mode], round * ITERATIONS + i))
  }
}
await Promise.all(Object.values(setups).map(s => s.close()))

console.log(`Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0].model.trim()}; ${ROUNDS} interleaved rounds × ${ITERATIONS} round trips each`)
const floor = percentile(samples.floor, 0.5)
console.log(`floor: a $pubsub subscribe round trip (no application) has p50 ${floor.toFixed(3)} ms`)
console.log('| round trip | in-process p50 (ms) | rpcHost p50 (ms) | in-process p99 | rpcHost p99 | rpcHost / in-process (p50) | same, above the floor |')
console.log('|---|---:|---:|---:|---:|---:|---:|')
for (const kind of ['subscribe', 'perform']) {
  const inProcess = samples[`in-process ${kind}`]
  const overHttp = samples[`rpcHost ${kind}`]
  const [a50, b50, a99, b99] = [percentile(inProcess, 0.5), percentile(overHttp, 0.5), percentile(inProcess, 0.99), percentile(overHttp, 0.99)]
  const aboveFloor = (b50 - floor) / (a50 - floor)
  console.log(
    `| ${kind} | ${a50.toFixed(3)} | ${b50.toFixed(3)} | ${a99.toFixed(3)} | ${b99.toFixed(3)} | ${(b50 / a50).toFixed(1)}× | ${aboveFloor.toFixed(1)}× |`,
  )
}

console.log('\nThe same application with serverless-js\'s Application, Channel and handler (p50 / p99, ms, same rounds):')
console.log('| round trip | in-process: anycable-rs | in-process: serverless-js | rpcHost: anycable-rs | rpcHost: serverless-js |')
console.log('|---|---:|---:|---:|---:|')
for (const kind of ['subscribe', 'perform']) {
  const cell = mode => `${percentile(samples[`${mode} ${kind}`], 0.5).toFixed(3)} / ${percentile(samples[`${mode} ${kind}`], 0.99).toFixed(3)}`
  console.log(`| ${kind} | ${cell('in-process')} | ${cell('in-process/serverless-js')} | ${cell('rpcHost')} | ${cell('rpcHost/serverless-js')} |`)
}
