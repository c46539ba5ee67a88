// The Edge build's sync token helpers, measured: Edge runtimes have only WebCrypto, which is
// async, so generateTokenSync/verifyTokenSync (and the sync one-off helpers, signStream…) sign
// with @noble/hashes in pure JS. Per call: the native build, the Edge build's sync calls, and its
// async (WebCrypto) ones. Run: node benchmark/edge-sync.mjs
import { identificator } from '../index.js'
import { identificator as edgeIdentificator } from '../index.edge.mjs'

const SECRET = 'bench-secret-0123456789abcdef'
const identifiers = { user_id: 4242, account: 'acme', role: 'member' }
const BUDGET_MS = Number(process.env.BENCH_MS ?? 500)

/** Microseconds per call of `run` (sync or async), over BUDGET_MS after a warm-up. */
async function perCall(run) {
  for (let index = 0; index < 2000; index++) await run()
  let calls = 0
  const start = performance.now()
  while (performance.now() - start < BUDGET_MS) {
    for (let index = 0; index < 100; index++) await run()
    calls += 100
  }
  return ((performance.now() - start) * 1000) / calls
}

const native = identificator(SECRET, 3600)
const edge = edgeIdentificator(SECRET, 3600)
const token = native.generateTokenSync(identifiers)

const rows = [
  ['native generateTokenSync', () => native.generateTokenSync(identifiers)],
  ['native verifyTokenSync', () => native.verifyTokenSync(token)],
  ['edge generateTokenSync (@noble/hashes)', () => edge.generateTokenSync(identifiers)],
  ['edge verifyTokenSync (@noble/hashes)', () => edge.verifyTokenSync(token)],
  ['edge await generateToken (WebCrypto)', () => edge.generateToken(identifiers)],
  ['edge await verifyAndFetch (WebCrypto)', () => edge.verifyAndFetch(token)],
]
for (const [name, run] of rows) console.log(`${name.padEnd(42)} ${(await perCall(run)).toFixed(1).padStart(7)} µs`)
