// The observability rows of bench:server (alone: `npm run bench:observability`): what metrics and
// logs cost. anycable-rs embedded through createCableServer with the Prometheus endpoint served and
// logs at `info`, against the same build with the endpoint off and logs at `error`, interleaved in
// one run, medians of several rounds: fan-out p99 and server CPU per broadcast (target: within
// 3%). Metrics are counted whether or not they are served, so that pair shows what serving them
// and logging cost; BENCH_BASELINE=<a checkout built before metrics and logs existed> adds that
// build's defaults as a third arm, which shows what counting them costs.
import path from 'node:path'
import { interleavedFanOut, median, medianOf } from './server-harness.mjs'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)

const anycable = (name, options, script = 'embedded-server.mjs') => ({
  name,
  script,
  protocol: 'cable',
  path: '/cable',
  env: { SERVER_OPTIONS: JSON.stringify(options) },
})
const OBSERVED = anycable("metricsPath '/metrics', logLevel 'info'", { metricsPath: '/metrics', logLevel: 'info' })
const QUIET = anycable("metrics not served, logLevel 'error'", { logLevel: 'error' })
const baseline = process.env.BENCH_BASELINE
const BEFORE = baseline && anycable(`defaults, the build at ${baseline}`, {}, path.resolve(baseline, 'benchmark/peers/embedded-server.mjs'))

export async function observabilityRows({ large, small, messages }) {
  const arms = BEFORE ? [OBSERVED, QUIET, BEFORE] : [OBSERVED, QUIET]
  const runs = await interleavedFanOut(arms, [small, large], messages, ROUNDS)
  const p99s = (arm, clients) => runs.get(arm)[clients].map(r => r.broadcast_ms?.p99)
  const cpus = (arm, clients) => runs.get(arm)[clients].map(r => r.server_cpu_ms_per_broadcast)
  console.log(
    `\n| anycable-rs, observability rows | fan-out N=${small}: arrival p99 (ms) | fan-out N=${large}: arrival p99 (ms) | N=${large}: server CPU per broadcast (ms) | N=${large}: delivered |`,
  )
  console.log('|---|---:|---:|---:|---:|')
  for (const arm of arms) {
    const reports = runs.get(arm)[large]
    const delivered = reports.reduce((sum, r) => sum + r.delivered, 0) / Math.max(1, reports.reduce((sum, r) => sum + r.expected, 0))
    console.log(
      `| ${arm.name} | ${medianOf(p99s(arm, small))} | ${medianOf(p99s(arm, large))} | ${medianOf(cpus(arm, large))} | ${(100 * delivered).toFixed(1)}% |`,
    )
  }
  const ratios = (over, under) => {
    const ratio = (figures, clients) => (median(figures(over, clients)) / median(figures(under, clients))).toFixed(3)
    return `fan-out p99 N=${small}: ${ratio(p99s, small)}, N=${large}: ${ratio(p99s, large)}; server CPU per broadcast at N=${large}: ${ratio(cpus, large)}`
  }
  console.log(`\nmetrics served + logs at info / not served + logs at error (medians of ${ROUNDS} rounds; target ≤ 1.03): ${ratios(OBSERVED, QUIET)}`)
  if (BEFORE) console.log(`metrics served + logs at info / the build before metrics and logs: ${ratios(OBSERVED, BEFORE)}`)
}
