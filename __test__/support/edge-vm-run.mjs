// Run as `node --experimental-vm-modules --conditions=<condition> edge-vm-run.mjs <input JSON>`:
// resolves 'anycable-rs' under the condition, loads that entry's module graph into an EdgeVM
// (Vercel's Edge runtime emulation: Web APIs only, no require, process or Buffer) with a linker
// that admits nothing but the package's own .mjs files and @noble/hashes, runs a token scenario there, and prints
// `{ entry, specifiers, results }` as JSON.
import vm from 'node:vm'
import { readFileSync } from 'node:fs'
import { EdgeVM } from '@edge-runtime/vm'
import { resolveForEdge } from './edge-resolve.mjs'

const input = JSON.parse(process.argv[2])
const packageRoot = new URL('../../', import.meta.url).href
const entry = import.meta.resolve('anycable-rs')
const edge = new EdgeVM()
const NOBLE = new URL('node_modules/@noble/hashes/', packageRoot).href
const SCENARIO = `${packageRoot}__edge_scenario__.mjs`
const specifiers = []
const modules = new Map()

function load(url) {
  let module = modules.get(url)
  if (module === undefined) {
    module = new vm.SourceTextModule(readFileSync(new URL(url), 'utf8'), { identifier: url, context: edge.context })
    modules.set(url, module)
  }
  return module
}

/** Whether an Edge runtime loads `url`: the package's own ESM files, and @noble/hashes' (ESM). */
const loadable = url =>
  url.startsWith(NOBLE) ? url.endsWith('.js') : url.startsWith(packageRoot) && !url.startsWith(`${packageRoot}node_modules/`) && url.endsWith('.mjs')

/** Links the package's own files and @noble/hashes; a Node built-in, the addon or its loader fails here. */
function link(specifier, referencing) {
  // The scenario imports the resolved entry by URL; what the package imports is recorded.
  if (referencing.identifier !== SCENARIO) specifiers.push(specifier)
  const url = specifier.startsWith('@noble/hashes/') ? resolveForEdge(specifier) : new URL(specifier, referencing.identifier).href
  if (!loadable(url)) {
    throw new Error(`the Edge entry imports ${specifier} (from ${referencing.identifier}), which an Edge runtime cannot load`)
  }
  return load(url)
}

const scenario = new vm.SourceTextModule(
  `import * as api from ${JSON.stringify(entry)}
  const input = ${JSON.stringify(input)}
  const settle = async call => { try { return { value: await call() } } catch (error) { return { error: { name: error.name, message: error.message, code: error.code, reason: error.reason, isTokenError: error instanceof api.TokenError } } } }
  const ids = api.identificator(input.secret, '1h')
  const broadcast = api.broadcaster(input.broadcastUrl, api.broadcastKey(input.secret))
  export const results = {
    globals: { require: typeof require, process: typeof process, Buffer: typeof Buffer, module: typeof module },
    exports: Object.keys(api).sort(),
    token: await ids.generateToken(input.identifiers),
    syncToken: ids.generateTokenSync(input.identifiers),
    oneOff: api.generateToken(input.identifiers, { secret: input.secret, expiresAt: input.expiresAt, algorithm: 'HS512' }),
    nativeTokenVerified: await ids.verifyAndFetch(input.nativeToken),
    nativeTokenValid: await ids.verify(input.nativeToken),
    nativeTokenSyncVerified: ids.verifyTokenSync(input.nativeToken),
    oneOffVerified: api.verifyToken(input.nativeToken, { secret: input.secret }),
    badToken: await settle(() => api.verifyToken(input.nativeToken + 'x', { secret: input.secret })),
    badTokenAsync: await settle(() => ids.verifyAndFetch(input.nativeToken + 'x')),
    signedStream: api.signer(input.secret)(input.stream),
    verifiedStream: api.verifyStream(input.nativeSignedStream, input.secret),
    keys: [api.broadcastKey(input.secret), api.rpcKey(input.secret)],
    broadcast: await settle(async () => (await broadcast(input.stream, { text: 'hello' }, { exclude_socket: 'sid' })) ?? 'sent'),
  }`,
  { identifier: SCENARIO, context: edge.context },
)
await scenario.link(link)
await scenario.evaluate()
process.stdout.write(JSON.stringify({ entry, specifiers, results: scenario.namespace.results }))
