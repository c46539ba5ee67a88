// Issue 19's rows of bench:server (alone: `npm run bench:floor`): fan-out at N = LARGE for
// anycable-rs (the plain protocol with the default memory broker, so offsets are assigned and
// history kept, and the extended protocol), the `ws` peer and the floor (crates/loadgen's
// anycable-floor: one thread writing the same frames to the same sockets), interleaved, every
// round reported: the server's CPU per delivered frame against the floor's and `ws`'s, and the
// arrival p99 against `ws`'s, and idle memory per subscribed connection before the broadcasts.
import { FLOOR, interleavedFanOut, cpuPerFrameUs, median } from './server-harness.mjs'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)

const ANYCABLE = { name: 'anycable-rs, actioncable-v1-json', script: 'embedded-server.mjs', protocol: 'cable', path: '/cable' }
const EXTENDED = { name: 'anycable-rs, actioncable-v1-ext-json', script: 'embedded-server.mjs', protocol: 'cable-ext', path: '/cable' }
const WS = { name: 'ws peer', script: 'ws-server.mjs', protocol: 'cable', path: '/cable' }
const FLOOR_ARM = { name: 'floor', binary: FLOOR, protocol: 'cable', path: '/cable' }

const fixed = (value, digits = 1) => (value === null || value === undefined ? '—' : value.toFixed(digits))
const list = (values, digits = 1) => values.map(value => fixed(value, digits)).join(', ')

export async function floorRows({ large, messages }) {
  const arms = [ANYCABLE, EXTENDED, WS, FLOOR_ARM]
  const runs = await interleavedFanOut(arms, [large], messages, ROUNDS)
  const reports = arm => runs.get(arm)[large]
  const perFrame = arm => reports(arm).map(cpuPerFrameUs)
  const p99 = arm => reports(arm).map(report => report.broadcast_ms?.p99)
  // Ratios per round (the arms of one round ran back to back), then their median.
  const ratios = (arm, base, figure) => figure(arm).map((value, round) => value / figure(base)[round])
  console.log(`\nFan-out at N = ${large}, ${messages} broadcasts, ${ROUNDS} rounds interleaved; each cell: median (every round)`)
  console.log('\n| contender | server CPU per delivered frame (µs) | × floor | × ws | arrival p99 (ms) | p99 × ws | idle KiB per connection | delivered, out of order |')
  console.log('|---|---|---|---|---|---|---|---|')
  for (const arm of arms) {
    const cpu = perFrame(arm)
    const floorRatio = ratios(arm, FLOOR_ARM, perFrame)
    const wsRatio = ratios(arm, WS, perFrame)
    const p99Ratio = ratios(arm, WS, p99)
    const delivered = reports(arm).reduce((sum, r) => sum + r.delivered, 0)
    const expected = reports(arm).reduce((sum, r) => sum + r.expected, 0)
    const disorder = reports(arm).reduce((sum, r) => sum + (r.offsets_out_of_order ?? 0), 0)
    // The floor holds no sessions: its resident memory says nothing about a server's.
    const idle = reports(arm).map(r => (arm === FLOOR_ARM ? null : r.idle_kib_per_connection))
    console.log(
      `| ${arm.name} | ${fixed(median(cpu))} (${list(cpu)}) | ${fixed(median(floorRatio), 2)} (${list(floorRatio, 2)}) | ${fixed(median(wsRatio), 2)} (${list(wsRatio, 2)}) | ${fixed(median(p99(arm)), 0)} (${list(p99(arm), 0)}) | ${fixed(median(p99Ratio), 2)} (${list(p99Ratio, 2)}) | ${arm === FLOOR_ARM ? '—' : `${fixed(median(idle), 2)} (${list(idle, 2)})`} | ${((100 * delivered) / Math.max(1, expected)).toFixed(1)}%, ${disorder} |`,
    )
  }
}
