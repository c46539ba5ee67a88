// The extended protocol's rows of bench:server (alone: `npm run bench:ext`), all for anycable-rs
// embedded through createCableServer:
// - idle memory per connection with actioncable-v1-ext-json, and broadcast fan-out p99 with the
//   memory broker (offsets assigned, extended protocol) against broker 'none' (the plain
//   protocol), the two interleaved in the same run, medians of several rounds;
// - the restore avalanche: every client drops and reconnects with ?sid=, against the fresh
//   connect-and-subscribe avalanche of the same clients;
// - history memory: many streams filled by broadcasts, server RSS before and after.
import { interleavedFanOut, loadgen, median, medianOf } from './server-harness.mjs'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const HISTORY_STREAMS = Number(process.env.BENCH_HISTORY_STREAMS ?? 10000)
const HISTORY_MESSAGES = Number(process.env.BENCH_HISTORY_MESSAGES ?? 100)
const HISTORY_BYTES = 200
// `fanout` runs only the fan-out rows (the restore avalanche and history memory take minutes).
const ONLY_FAN_OUT = process.env.BENCH_EXT === 'fanout'
// The server's default historyLimit: messages a stream keeps.
const HISTORY_LIMIT = 100

const anycable = (name, protocol, broker) => ({
  name,
  broker,
  script: 'embedded-server.mjs',
  protocol,
  path: '/cable',
  env: { BROKER: broker },
})
const OFFSETS = anycable("broker 'memory', actioncable-v1-ext-json", 'cable-ext', 'memory')
const PLAIN = anycable("broker 'none', actioncable-v1-json", 'cable', 'none')

const kib = value => (value === null || value === undefined ? '—' : value.toFixed(1))
const percent = (part, whole) => `${((100 * part) / Math.max(1, whole)).toFixed(1)}%`

function printFanOut(runs, { large, small }) {
  const p99s = (arm, clients) => runs.get(arm)[clients].map(r => r.broadcast_ms?.p99)
  const cpus = (arm, clients) => runs.get(arm)[clients].map(r => r.server_cpu_ms_per_broadcast)
  console.log(
    `\n| anycable-rs, extended protocol rows | idle KiB per connection, N=${large} | fan-out N=${small}: arrival p99 (ms) | fan-out N=${large}: arrival p99 (ms) | N=${large}: server CPU per broadcast (ms) | N=${large}: delivered, with offsets, out of order |`,
  )
  console.log('|---|---:|---:|---:|---:|---|')
  for (const arm of [OFFSETS, PLAIN]) {
    const reports = runs.get(arm)[large]
    const delivered = reports.reduce((sum, r) => sum + r.delivered, 0)
    const expected = reports.reduce((sum, r) => sum + r.expected, 0)
    const withOffset = reports.reduce((sum, r) => sum + r.delivered_with_offset, 0)
    const outOfOrder = reports.reduce((sum, r) => sum + r.offsets_out_of_order, 0)
    console.log(
      `| ${arm.name} | ${medianOf(reports.map(r => r.idle_kib_per_connection), kib)} | ${medianOf(p99s(arm, small))} | ${medianOf(p99s(arm, large))} | ${medianOf(cpus(arm, large))} | ${percent(delivered, expected)}, ${percent(withOffset, delivered)}, ${outOfOrder} |`,
    )
  }
  const ratio = (figures, clients) => median(figures(OFFSETS, clients)) / median(figures(PLAIN, clients))
  console.log(
    `\nfan-out p99, memory broker / none (medians of ${ROUNDS} rounds; target ≤ 1.10): ` +
      `N=${small}: ${ratio(p99s, small).toFixed(2)}, N=${large}: ${ratio(p99s, large).toFixed(2)}; ` +
      `server CPU per broadcast at N=${large}: ${ratio(cpus, large).toFixed(2)}`,
  )
  if (runs.get(OFFSETS)[large].every(r => r.delivered_with_offset === 0)) {
    console.log("note: no broadcast carried an offset with broker 'memory': this server does not assign offsets yet")
  }
}

async function restoreRounds({ large }) {
  const reports = []
  for (let round = 0; round < ROUNDS; round++) {
    // Two avalanches from the same addresses: four of them spread the source ports.
    reports.push(await loadgen(OFFSETS, ['--scenario=restore', `--clients=${large}`], { sources: 4 }))
  }
  console.log(
    `\n| restore avalanche, N=${large}, ${OFFSETS.name} | time until all done (ms) | per client p50 (ms) | per client p99 (ms) | done / N, failures |`,
  )
  console.log('|---|---:|---:|---:|---|')
  const rounds = values => values.join(', ')
  const row = (what, all, p50, p99, done, failures) =>
    console.log(`| ${what} | ${medianOf(all)} | ${medianOf(p50)} | ${medianOf(p99)} | ${rounds(done)} / ${large}, ${rounds(failures)} |`)
  row(
    'fresh: connect and subscribe, until confirm_subscription',
    reports.map(r => r.connect_all_ms),
    reports.map(r => r.connect_ms?.p50),
    reports.map(r => r.connect_ms?.p99),
    reports.map(r => r.connected),
    reports.map(r => r.connect_failures),
  )
  if (reports.every(r => r.restored === 0 && r.not_restored > 0)) {
    console.log(`| restore with ?sid=, until "restored":true | restore not supported by this server | | | 0 / ${large} |`)
    return
  }
  row(
    'restore with ?sid=, until "restored":true',
    reports.map(r => r.restore_all_ms),
    reports.map(r => r.restore_ms?.p50),
    reports.map(r => r.restore_ms?.p99),
    reports.map(r => r.restored),
    reports.map(r => r.restore_failures + r.not_restored),
  )
  // A restore counts only if the subscriptions came back: one broadcast after it.
  console.log(`\nrestored clients that got a broadcast after the restore: ${rounds(reports.map(r => r.delivered_after_restore))} (of ${rounds(reports.map(r => r.restored))})`)
}

async function historyMemory() {
  const kept = HISTORY_STREAMS * Math.min(HISTORY_MESSAGES, HISTORY_LIMIT)
  console.log(
    `\n| history, ${HISTORY_STREAMS} streams × ${HISTORY_MESSAGES} messages of ${HISTORY_BYTES} bytes | server RSS before → after (MiB) | fill (s) | RSS growth per message broadcast (bytes) |`,
  )
  console.log('|---|---|---:|---:|')
  const growth = {}
  for (const arm of [OFFSETS, PLAIN]) {
    const r = await loadgen(arm, [
      '--scenario=history',
      `--history-streams=${HISTORY_STREAMS}`,
      `--history-messages=${HISTORY_MESSAGES}`,
      `--message-bytes=${HISTORY_BYTES}`,
    ])
    growth[arm.broker] = (r.rss_after_kib - r.rss_before_kib) * 1024
    const failed = r.accepted < r.published ? `, ${r.published - r.accepted} refused` : ''
    console.log(
      `| broker '${arm.broker}' | ${(r.rss_before_kib / 1024).toFixed(1)} → ${(r.rss_after_kib / 1024).toFixed(1)} | ${(r.fill_ms / 1000).toFixed(1)}${failed} | ${r.bytes_per_published_message.toFixed(0)} |`,
    )
  }
  // Broker 'none' keeps nothing: its growth is the HTTP and parsing side, taken off.
  const perKept = (growth.memory - growth.none) / kept
  console.log(
    `\nhistory: ${perKept.toFixed(0)} bytes per kept message (${kept} kept at historyLimit ${HISTORY_LIMIT}; memory broker's RSS growth minus broker 'none''s)`,
  )
}

/** Runs and prints the extended protocol's rows. */
export async function extendedRows({ large, small, messages }) {
  console.log(
    `\nExtended protocol (anycable-rs): ${ROUNDS} rounds, N = ${large} and ${small}; history ${HISTORY_STREAMS} streams × ${HISTORY_MESSAGES} messages`,
  )
  printFanOut(await interleavedFanOut([OFFSETS, PLAIN], [small, large], messages, ROUNDS), { large, small })
  if (ONLY_FAN_OUT) return
  await restoreRounds({ large })
  await historyMemory()
}
