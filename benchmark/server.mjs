// bench:server: anycable-rs (embedded in Node) against a `ws` server and a Socket.IO server doing
// the same job, driven by the Rust load generator (crates/loadgen), in one run; then the extended
// protocol's rows for anycable-rs (benchmark/extended-rows.mjs), issue 19's interleaved rounds
// against ws and the floor (benchmark/floor-rows.mjs), and what metrics and logs cost it
// (benchmark/observability-rows.mjs). Each contender runs in a fresh process per scenario; every
// process started here is stopped before exit. The floor row is the same fan-out from
// crates/loadgen's anycable-floor: one thread writing the same frames to the same sockets, nothing
// else running; every contender's server CPU per delivered frame is shown beside the floor's.
import { extendedRows } from './extended-rows.mjs'
import { floorRows } from './floor-rows.mjs'
import { observabilityRows } from './observability-rows.mjs'
import { FLOOR, LARGE, MESSAGES, SMALL, cpuPerFrameUs, loadgen, machine, ms, stopAll } from './server-harness.mjs'

const CONTENDERS = [
  { name: 'anycable-rs (createCableServer)', script: 'embedded-server.mjs', protocol: 'cable', path: '/cable' },
  { name: 'ws peer', script: 'ws-server.mjs', protocol: 'cable', path: '/cable' },
  { name: 'Socket.IO peer', script: 'socketio-server.mjs', protocol: 'socketio', path: '/socket.io/?EIO=4&transport=websocket' },
]
// Its handshakes are serial and skip the token check: it has no connect or memory figures.
const FLOOR_ROW = { name: 'floor (blocking writes, one thread)', binary: FLOOR, protocol: 'cable', path: '/cable' }

const scenario = (contender, clients) =>
  loadgen(contender, [`--clients=${clients}`, `--messages=${MESSAGES}`, '--interval-ms=200'])

try {
  const rows = []
  for (const contender of [...CONTENDERS, FLOOR_ROW]) {
    const large = await scenario(contender, LARGE)
    const small = await scenario(contender, SMALL)
    rows.push({ contender, large, small })
  }
  console.log(
    `${machine()}; N = ${LARGE} (avalanche, memory, fan-out) and ${SMALL} (fan-out); ${MESSAGES} broadcasts of ~200 bytes, 200 ms apart`,
  )
  console.log(`\n| contender | connect p50 / p99 (ms), failures, N=${LARGE} | idle KiB per connection, N=${LARGE} |`)
  console.log('|---|---|---:|')
  for (const { contender, large } of rows.filter(row => row.contender !== FLOOR_ROW)) {
    const connect = `${ms(large.connect_ms?.p50)} / ${ms(large.connect_ms?.p99)}, ${large.connect_failures}`
    const idle = large.idle_kib_per_connection === null ? '—' : large.idle_kib_per_connection.toFixed(1)
    console.log(`| ${contender.name} | ${connect} | ${idle} |`)
  }
  // Arrival: the kernel's receive time in the client socket (the server's fan-out alone); read:
  // when the generator, sharing the cores, got to the frame.
  const fanOut = r =>
    `${ms(r.broadcast_ms?.p50)} / ${ms(r.broadcast_ms?.p99)} / ${ms(r.broadcast_ms?.max)}, ${((100 * r.delivered) / Math.max(1, r.expected)).toFixed(1)}%`
  // CPU per delivered frame, against the floor's: what a server spends beyond the kernel's cost.
  const floorPerFrame = cpuPerFrameUs(rows.find(row => row.contender === FLOOR_ROW).large)
  const perFrame = report => {
    const us = cpuPerFrameUs(report)
    if (us === null) return '—'
    return floorPerFrame ? `${us.toFixed(1)}, ${(us / floorPerFrame).toFixed(2)}×` : us.toFixed(1)
  }
  console.log(
    `\n| contender | fan-out N=${SMALL}: arrival p50 / p99 / max (ms), delivered | fan-out N=${LARGE}: arrival p50 / p99 / max (ms), delivered | N=${LARGE}: read p99 (ms) | N=${LARGE}: server CPU per broadcast (ms) | N=${LARGE}: server CPU per delivered frame (µs), × floor |`,
  )
  console.log('|---|---|---|---:|---:|---:|')
  for (const { contender, large, small } of rows) {
    const cpu = large.server_cpu_ms_per_broadcast
    console.log(
      `| ${contender.name} | ${fanOut(small)} | ${fanOut(large)} | ${ms(large.broadcast_read_ms?.p99)} | ${cpu === null ? '—' : cpu.toFixed(0)} | ${perFrame(large)} |`,
    )
  }
  await floorRows({ large: LARGE, messages: MESSAGES })
  await extendedRows({ large: LARGE, small: SMALL, messages: MESSAGES })
  await observabilityRows({ large: LARGE, small: SMALL, messages: MESSAGES })
} finally {
  stopAll()
}
