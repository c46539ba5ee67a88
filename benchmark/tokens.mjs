// Token generate/verify throughput: anycable-rs against the libraries a Node backend would use
// for the same AnyCable token. Contenders run interleaved in every round; the table shows the
// median ops/s over the rounds, and the ratio to this package's sync call.
import os from 'node:os'
import { createSecretKey } from 'node:crypto'
import * as jose from 'jose'
import { createSigner, createVerifier } from 'fast-jwt'
import jsonwebtoken from 'jsonwebtoken'
import { signSync as nodeRsSign, verifySync as nodeRsVerify, Algorithm } from '@node-rs/jsonwebtoken'
import { identificator as serverlessIdentificator } from '@anycable/serverless-js'
import { identificator } from '../index.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7)
const BUDGET_MS = Number(process.env.BENCH_MS ?? 300)
const SECRET = 'bench-secret-0123456789abcdef'
const TTL = 3600
const identifiers = { user_id: 4242, account: 'acme', role: 'member' }

const ours = identificator(SECRET, TTL)
const serverless = serverlessIdentificator(SECRET, '1h')
const joseKey = await crypto.subtle.importKey('raw', new TextEncoder().encode(SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, [
  'sign',
  'verify',
])
const keyObject = createSecretKey(Buffer.from(SECRET))
const fastSign = createSigner({ key: SECRET, algorithm: 'HS256', expiresIn: TTL * 1000 })
const fastVerify = createVerifier({ key: SECRET, algorithms: ['HS256'] })
const nodeRsValidation = { algorithms: [Algorithm.HS256], leeway: 0 }

const claims = () => {
  const iat = Math.floor(Date.now() / 1000)
  return { ext: JSON.stringify(identifiers), iat, exp: iat + TTL }
}
const token = ours.generateTokenSync(identifiers)

const generate = {
  'anycable-rs generateTokenSync': () => ours.generateTokenSync(identifiers),
  'anycable-rs generateToken (await)': () => ours.generateToken(identifiers),
  '@anycable/serverless-js (await)': () => serverless.generateToken(identifiers),
  'jose SignJWT, pre-imported key (await)': () =>
    new jose.SignJWT({ ext: JSON.stringify(identifiers) })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(joseKey),
  'fast-jwt': () => fastSign({ ext: JSON.stringify(identifiers) }),
  jsonwebtoken: () => jsonwebtoken.sign({ ext: JSON.stringify(identifiers) }, keyObject, { expiresIn: TTL }),
  '@node-rs/jsonwebtoken signSync': () => nodeRsSign(claims(), SECRET),
}

// Every verifier returns the identifiers, as a server needs them.
const verify = {
  'anycable-rs verifyTokenSync': () => ours.verifyTokenSync(token),
  'anycable-rs verifyToken (await)': () => ours.verifyToken(token),
  // The drop-in call, by serverless-js's (jose's) rules.
  'anycable-rs verifyAndFetch (await)': () => ours.verifyAndFetch(token),
  '@anycable/serverless-js (await)': () => serverless.verifyAndFetch(token),
  'jose jwtVerify, pre-imported key (await)': async () => JSON.parse((await jose.jwtVerify(token, joseKey)).payload.ext),
  'fast-jwt': () => JSON.parse(fastVerify(token).ext),
  jsonwebtoken: () => JSON.parse(jsonwebtoken.verify(token, keyObject).ext),
  '@node-rs/jsonwebtoken verifySync': () => JSON.parse(nodeRsVerify(token, SECRET, nodeRsValidation).ext),
}

/** ops/s of `fn` over about BUDGET_MS; async results are awaited one at a time. */
async function measure(fn) {
  const probe = fn()
  const isAsync = probe instanceof Promise
  if (isAsync) await probe
  let ops = 0
  const start = process.hrtime.bigint()
  const deadline = start + BigInt(BUDGET_MS * 1e6)
  let now = start
  while (now < deadline) {
    for (let i = 0; i < 200; i++) {
      if (isAsync) await fn()
      else fn()
    }
    ops += 200
    now = process.hrtime.bigint()
  }
  return ops / (Number(now - start) / 1e9)
}

const median = values => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

async function run(title, contenders) {
  const samples = Object.fromEntries(Object.keys(contenders).map(name => [name, []]))
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, fn] of Object.entries(contenders)) samples[name].push(await measure(fn))
  }
  const medians = Object.entries(samples).map(([name, values]) => [name, median(values)])
  const baseline = medians[0][1]
  const opsOf = Object.fromEntries(medians)
  console.log(`\n${title}`)
  console.log('| contender | ops/s (median) | anycable-rs sync is … × faster |')
  console.log('|---|---:|---:|')
  for (const [name, opsPerSec] of medians) {
    console.log(`| ${name} | ${Math.round(opsPerSec).toLocaleString('en-US')} | ${(baseline / opsPerSec).toFixed(1)} |`)
  }
  return opsOf
}

/** The targets as ratios of medians from this run. */
function targets(kind, opsOf) {
  const [sync, promise] = Object.keys(opsOf)
  const peer = prefix => opsOf[Object.keys(opsOf).find(name => name.startsWith(prefix))]
  const rows = [
    [`${kind}: sync vs @node-rs/jsonwebtoken`, opsOf[sync] / peer('@node-rs/jsonwebtoken'), 2.5],
    [`${kind}: sync vs fast-jwt`, opsOf[sync] / peer('fast-jwt'), 5],
    [`${kind}: Promise API vs serverless-js`, opsOf[promise] / peer('@anycable/serverless-js'), 10],
  ]
  const dropIn = opsOf['anycable-rs verifyAndFetch (await)']
  if (dropIn) rows.push([`${kind}: verifyAndFetch vs serverless-js's`, dropIn / peer('@anycable/serverless-js'), 10])
  for (const [label, ratio, goal] of rows) {
    console.log(`- ${label}: ${ratio.toFixed(1)}× (target ≥ ${goal}×) ${ratio >= goal ? 'met' : 'NOT met'}`)
  }
}

console.log(
  `Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0].model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB; ` +
    `${ROUNDS} interleaved rounds of ~${BUDGET_MS} ms per contender; token of ${token.length} bytes`,
)
const generated = await run('generate (HS256, ext + iat + exp)', generate)
const verified = await run('verify (HS256, returns the identifiers)', verify)
console.log()
targets('generate', generated)
targets('verify', verified)
