// What the server benchmarks share: contender processes (each stopped before exit), the Rust
// load generator (crates/loadgen) run against them, and the formatting of their figures.
import { spawn, execFileSync } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const LOADGEN = process.env.LOADGEN ?? `${ROOT}target/release/anycable-loadgen`
/** The floor (crates/loadgen/src/bin/floor): the same sockets written to with nothing else running. */
export const FLOOR = process.env.FLOOR ?? `${ROOT}target/release/anycable-floor`
const SECRET = 'bench-server-secret'

/** Clients in the avalanche, idle memory and large fan-out runs. */
export const LARGE = Number(process.env.BENCH_CLIENTS ?? 10000)
/** Clients in the small fan-out runs. */
export const SMALL = Number(process.env.BENCH_SMALL ?? 1000)
/** Broadcasts per fan-out run, ~200 bytes, 200 ms apart. */
export const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20)

const running = new Set()
/** Stops every contender still running. */
export const stopAll = () => running.forEach(child => child.kill('SIGKILL'))
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopAll()
    process.exit(1)
  })
}

/**
 * Starts `benchmark/peers/<script>` (or `script`, when absolute) under Node, or the executable
 * `binary`, with `env` added; resolves with the process and its port.
 */
function startContender(contender) {
  const [command, args] = contender.binary
    ? [contender.binary, []]
    : [process.execPath, [path.resolve(`${ROOT}benchmark/peers`, contender.script)]]
  const child = spawn(command, args, {
    env: { ...process.env, ...contender.env, SECRET, PORT: '0' },
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
    child.once('error', error => reject(new Error(`${contender.name} did not start: ${error.message}`)))
  })
}

let sourceOctet = 10
/**
 * Runs the load generator once against a fresh process of `contender` with `args` added, from
 * `sources` fresh loopback addresses (earlier runs' TIME_WAIT sockets stay out of the way);
 * returns the generator's JSON report.
 */
export async function loadgen(contender, args, { sources = 2 } = {}) {
  const { child, port } = await startContender(contender)
  const from = Array.from({ length: sources }, () => `127.0.0.${sourceOctet++}`).join(',')
  try {
    const output = execFileSync(
      LOADGEN,
      [
        `--protocol=${contender.protocol}`,
        `--url=ws://127.0.0.1:${port}${contender.path}`,
        `--broadcast-url=http://127.0.0.1:${port}/_broadcast`,
        `--secret=${SECRET}`,
        `--server-pid=${child.pid}`,
        `--source=${from}`,
        ...args,
      ],
      { encoding: 'utf8', maxBuffer: 1 << 24, timeout: 240_000 },
    )
    return JSON.parse(output)
  } finally {
    child.kill('SIGKILL')
  }
}

/**
 * The server's CPU time per frame it delivered (µs): CPU per broadcast over the frames each
 * broadcast delivered; null without a CPU figure or deliveries.
 */
export const cpuPerFrameUs = report =>
  report.server_cpu_ms_per_broadcast === null || report.delivered === 0
    ? null
    : (report.server_cpu_ms_per_broadcast * 1000 * report.broadcasts_sent) / report.delivered

/** Milliseconds with one decimal, or a dash when there is no figure. */
export const ms = value => (value === undefined || value === null ? '—' : value.toFixed(1))

/** The median of the numbers among `values`, or null when there are none. */
export const median = values => {
  const sorted = values.filter(v => typeof v === 'number').sort((a, b) => a - b)
  if (sorted.length === 0) return null
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/** The median with every round's figure beside it: `12.3 (11.0, 12.3, 14.1)`. */
export const medianOf = (values, format = ms) => `${format(median(values))} (${values.map(format).join(', ')})`

/**
 * Fan-out runs of `arms` (contenders) at each of `clientCounts`, `rounds` times, the arms
 * interleaved; returns Map(arm → { [clients]: [report per round] }).
 */
export async function interleavedFanOut(arms, clientCounts, messages, rounds) {
  const runs = new Map(arms.map(arm => [arm, Object.fromEntries(clientCounts.map(clients => [clients, []]))]))
  for (let round = 0; round < rounds; round++) {
    for (const clients of clientCounts) {
      // Rotating which arm goes first keeps drift on the machine out of the ratios.
      for (const arm of [...arms.slice(round % arms.length), ...arms.slice(0, round % arms.length)]) {
        runs.get(arm)[clients].push(await loadgen(arm, [`--clients=${clients}`, `--messages=${messages}`, '--interval-ms=200']))
      }
    }
  }
  return runs
}

/** The machine the figures come from. */
export const machine = () =>
  `${os.cpus().length} × ${os.cpus()[0].model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`
