// bench:server: anycable-rs (embedded in Node) against a `ws` server and a Socket.IO server doing
// the same job, driven by the Rust load generator (crates/loadgen), in one run. Each contender runs
// in a fresh process per scenario; every process started here is stopped before exit.
import { spawn, execFileSync } from 'node:child_process'
import os from 'node:os'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const LOADGEN = process.env.LOADGEN ?? `${ROOT}target/release/anycable-loadgen`
const SECRET = 'bench-server-secret'
const LARGE = Number(process.env.BENCH_CLIENTS ?? 10000)
const SMALL = Number(process.env.BENCH_SMALL ?? 1000)
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20)

const CONTENDERS = [
  { name: 'anycable-rs (createCableServer)', script: 'embedded-server.mjs', protocol: 'cable', path: '/cable' },
  { name: 'ws peer', script: 'ws-server.mjs', protocol: 'cable', path: '/cable' },
  { name: 'Socket.IO peer', script: 'socketio-server.mjs', protocol: 'socketio', path: '/socket.io/?EIO=4&transport=websocket' },
]

const running = new Set()
const stopAll = () => running.forEach(child => child.kill('SIGKILL'))
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopAll()
    process.exit(1)
  })
}

function startContender(contender) {
  const child = spawn(process.execPath, [`${ROOT}benchmark/peers/${contender.script}`], {
    env: { ...process.env, SECRET, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  running.add(child)
  child.once('exit', () => running.delete(child))
  return new Promise((resolve, reject) => {
    child.stdout.on('data', chunk => {
      const port = /listening (\d+)/.exec(String(chunk))?.[1]
      if (port) resolve({ child, port })
    })
    child.once('exit', code => reject(new Error(`${contender.name} exited with ${code}`)))
  })
}

let sourceOctet = 10
async function scenario(contender, clients) {
  const { child, port } = await startContender(contender)
  // A fresh loopback source address per run keeps earlier runs' TIME_WAIT sockets out of the way.
  const sources = [0, 1].map(() => `127.0.0.${sourceOctet++}`).join(',')
  try {
    const output = execFileSync(
      LOADGEN,
      [
        `--protocol=${contender.protocol}`,
        `--url=ws://127.0.0.1:${port}${contender.path}`,
        `--broadcast-url=http://127.0.0.1:${port}/_broadcast`,
        `--secret=${SECRET}`,
        `--clients=${clients}`,
        `--messages=${MESSAGES}`,
        '--interval-ms=200',
        `--server-pid=${child.pid}`,
        `--source=${sources}`,
      ],
      { encoding: 'utf8', maxBuffer: 1 << 24, timeout: 240_000 },
    )
    return JSON.parse(output)
  } finally {
    child.kill('SIGKILL')
  }
}

const ms = value => (value === undefined || value === null ? '—' : value.toFixed(1))

try {
  const rows = []
  for (const contender of CONTENDERS) {
    const large = await scenario(contender, LARGE)
    const small = await scenario(contender, SMALL)
    rows.push({ contender, large, small })
  }
  console.log(
    `${os.cpus().length} × ${os.cpus()[0].model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; ` +
      `N = ${LARGE} (avalanche, memory, fan-out) and ${SMALL} (fan-out); ${MESSAGES} broadcasts of ~200 bytes, 200 ms apart`,
  )
  console.log(`\n| contender | connect p50 / p99 (ms), failures, N=${LARGE} | idle KiB per connection, N=${LARGE} |`)
  console.log('|---|---|---:|')
  for (const { contender, large } of rows) {
    const connect = `${ms(large.connect_ms?.p50)} / ${ms(large.connect_ms?.p99)}, ${large.connect_failures}`
    const idle = large.idle_kib_per_connection === null ? '—' : large.idle_kib_per_connection.toFixed(1)
    console.log(`| ${contender.name} | ${connect} | ${idle} |`)
  }
  // Arrival: the kernel's receive time in the client socket (the server's fan-out alone); read:
  // when the generator, sharing the cores, got to the frame.
  const fanOut = r =>
    `${ms(r.broadcast_ms?.p50)} / ${ms(r.broadcast_ms?.p99)} / ${ms(r.broadcast_ms?.max)}, ${((100 * r.delivered) / Math.max(1, r.expected)).toFixed(1)}%`
  console.log(
    `\n| contender | fan-out N=${SMALL}: arrival p50 / p99 / max (ms), delivered | fan-out N=${LARGE}: arrival p50 / p99 / max (ms), delivered | N=${LARGE}: read p99 (ms) | N=${LARGE}: server CPU per broadcast (ms) |`,
  )
  console.log('|---|---|---|---:|---:|')
  for (const { contender, large, small } of rows) {
    const cpu = large.server_cpu_ms_per_broadcast
    console.log(
      `| ${contender.name} | ${fanOut(small)} | ${fanOut(large)} | ${ms(large.broadcast_read_ms?.p99)} | ${cpu === null ? '—' : cpu.toFixed(0)} |`,
    )
  }
} finally {
  stopAll()
}
