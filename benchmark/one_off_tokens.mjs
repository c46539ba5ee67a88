// The one-off helpers generateToken(ids, { secret }) / verifyToken(token, { secret }) called N
// times (default 1,000,000) each in one synchronous loop: µs per call and RSS growth, which
// shows whether each call leaves memory behind until the event loop turns.
// With more secrets than the helpers cache (4), the calls with the others show the uncached path.
// Usage: node benchmark/one_off_tokens.mjs [calls] [secrets, default 1]
import { generateToken, verifyToken } from '../index.mjs'

const calls = Number(process.argv[2] ?? 1_000_000)
const secrets = Array.from({ length: Number(process.argv[3] ?? 1) }, (_, i) => `one-off-benchmark-secret-${i}`)
const mib = bytes => (bytes / 2 ** 20).toFixed(1)

function measure(label, call) {
  const rssBefore = process.memoryUsage().rss
  const start = process.hrtime.bigint()
  for (let i = 0; i < calls; i++) call(i)
  const micros = Number(process.hrtime.bigint() - start) / 1000 / calls
  const growth = process.memoryUsage().rss - rssBefore
  console.log(`${label}: ${calls} calls, ${micros.toFixed(2)} µs per call, RSS +${mib(growth)} MiB`)
}

const tokens = secrets.map(secret => generateToken({ user_id: 42 }, { secret }))
const n = secrets.length
console.log(`${n} secret(s), used in turn`)
measure('generateToken(ids, { secret })', i => generateToken({ user_id: i }, { secret: secrets[i % n] }))
measure('verifyToken(token, { secret })', i => verifyToken(tokens[i % n], { secret: secrets[i % n] }))
