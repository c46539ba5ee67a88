// The observability rows of bench:server (alone: `npm run bench:observability`): what metrics and
// logs cost. anycable-rs embedded through createCableServer with the Prometheus endpoint on and
// logs at `info`, against the same server with both off (the defaults), interleaved in one run,
// medians of several rounds: fan-out p99 and server CPU per broadcast (issue target: within 3%).
import { interleavedFanOut, median, medianOf } from './server-harness.mjs'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)

const anycable = (name, options) => ({
  name,
  script: 'embedded-server.mjs',
  protocol: 'cable',
  path: '/cable',
  env: { SERVER_OPTIONS: JSON.stringify(options) },
})
const OBSERVED = anycable("metricsPath '/metrics', logLevel 'info'", { metricsPath: '/metrics', logLevel: 'info' })
const QUIET = anycable("metrics off, logLevel 'error'", { logLevel: 'error' })

export async function observabilityRows({ large, small, messages }) {
  const runs = await interleavedFanOut([OBSERVED, QUIET], [small, large], messages, ROUNDS)
  const p99s = (arm, clients) => runs.get(arm)[clients].map(r => r.broadcast_ms?.p99)
  const cpus = (arm, clients) => runs.get(arm)[clients].map(r => r.server_cpu_ms_per_broadcast)
  console.log(
    `\n| anycable-rs, observability rows | fan-out N=${small}: arrival p99 (ms) | fan-out N=${large}: arrival p99 (ms) | N=${large}: server CPU per broadcast (ms) | N=${large}: delivered |`,
  )
  console.log('|---|---:|---:|---:|---:|')
  for (const arm of [OBSERVED, QUIET]) {
    const reports = runs.get(arm)[large]
    const delivered = reports.reduce((sum, r) => sum + r.delivered, 0) / Math.max(1, reports.reduce((sum, r) => sum + r.expected, 0))
    console.log(
      `| ${arm.name} | ${medianOf(p99s(arm, small))} | ${medianOf(p99s(arm, large))} | ${medianOf(cpus(arm, large))} | ${(100 * delivered).toFixed(1)}% |`,
    )
  }
  const ratio = (figures, clients) => median(figures(OBSERVED, clients)) / median(figures(QUIET, clients))
  console.log(
    `\nmetrics on + logs at info / off (medians of ${ROUNDS} rounds; target ≤ 1.03): fan-out p99 ` +
      `N=${small}: ${ratio(p99s, small).toFixed(3)}, N=${large}: ${ratio(p99s, large).toFixed(3)}; ` +
      `server CPU per broadcast at N=${large}: ${ratio(cpus, large).toFixed(3)}`,
  )
}
