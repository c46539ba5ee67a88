// The package where the Edge build will run: 'anycable-rs' resolved under each Edge export
// condition; its import graph free of the native addon and Node built-ins (read from the source,
// and enforced at load), @noble/hashes (pure JS) its one dependency; and its token API working
// inside EdgeVM (Vercel's Edge runtime emulation, without require, process or Buffer),
// interoperating with the native build.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import native from '../index.js'
import { resolveForEdge } from './support/edge-resolve.mjs'

const CONDITIONS = ['edge-light', 'workerd', 'worker', 'browser', 'deno']
const root = new URL('../', import.meta.url)
const EDGE_ENTRY = new URL('index.edge.mjs', root).href
const EXPORTS = ['TokenError', 'identificator', 'generateToken', 'verifyToken', 'signStream', 'verifyStream', 'signer', 'broadcastKey', 'rpcKey', 'broadcaster'].sort()

/** What `import 'anycable-rs'` resolves to from inside the package under `conditions`. */
function resolved(conditions) {
  const args = [...conditions.map(condition => `--conditions=${condition}`), '--input-type=module', '-e', "process.stdout.write(import.meta.resolve('anycable-rs'))"]
  return execFileSync(process.execPath, args, { cwd: fileURLToPath(root), encoding: 'utf8' })
}

describe('resolution', () => {
  for (const condition of CONDITIONS) {
    test(`--conditions=${condition} selects the Edge build`, () => {
      assert.equal(resolved([condition]), EDGE_ENTRY)
    })
  }

  test('Node without a condition keeps the native build', () => {
    assert.equal(resolved([]), new URL('index.mjs', root).href)
  })
})

/**
 * Every module specifier in an ESM source: static imports and re-exports, dynamic imports,
 * requires; block comments and whole-line comments (examples in doc comments) are left out.
 */
function specifiersIn(source) {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
  const found = []
  for (const pattern of [/\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"`]([^'"`]+)/g, /\brequire\s*\(\s*['"`]([^'"`]+)/g]) {
    for (const match of code.matchAll(pattern)) found.push(match[1])
  }
  return found
}

const NOBLE = new URL('node_modules/@noble/hashes/', root).href

test("the Edge entry's import graph: the package's own ESM files and @noble/hashes; no addon, no loader, no node: modules", () => {
  const seen = new Set()
  const pending = [EDGE_ENTRY]
  while (pending.length > 0) {
    const url = pending.pop()
    if (seen.has(url)) continue
    seen.add(url)
    const source = readFileSync(new URL(url), 'utf8')
    const ours = !url.startsWith(NOBLE)
    if (ours) assert.doesNotMatch(source, /\brequire\s*\(|\bprocess\.|\bBuffer\b|__dirname/, `${url} uses a Node global`)
    for (const specifier of specifiersIn(source)) {
      if (specifier.startsWith('@noble/hashes/')) {
        pending.push(resolveForEdge(specifier))
        continue
      }
      // Our files import .mjs siblings; @noble/hashes' (ESM) its own .js files.
      assert.match(specifier, ours ? /^\.\.?\/[\w./-]+\.mjs$/ : /^\.\/[\w.-]+\.js$/, `${url} imports ${specifier}`)
      pending.push(new URL(specifier, url).href)
    }
  }
  const files = [...seen].map(url => url.slice(root.href.length))
  assert.ok(files.length > 10, files.join(' '))
  assert.ok(files.every(file => file === 'index.edge.mjs' || file.startsWith('lib/edge/') || file.startsWith('node_modules/@noble/hashes/')), files.join(' '))
  assert.ok(files.includes('node_modules/@noble/hashes/esm/sha2.js'), files.join(' '))
})

describe('inside EdgeVM', () => {
  for (const condition of CONDITIONS) {
    test(`through ${condition}: loads without the addon and interoperates with the native build`, async () => {
      const requests = []
      const server = createServer((request, response) => {
        let body = ''
        request.on('data', chunk => (body += chunk))
        request.on('end', () => {
          requests.push({ method: request.method, url: request.url, authorization: request.headers.authorization, type: request.headers['content-type'], body })
          response.end()
        })
      })
      server.listen(0, '127.0.0.1')
      await once(server, 'listening')
      try {
        const secret = 'edge-secret ü'
        const identifiers = { user_id: 42, name: 'Zoë 😀', note: 'a\u0000b' }
        const stream = 'chat/42 ✓'
        const expiresAt = Math.floor(Date.now() / 1000) + 600
        const input = {
          secret,
          identifiers,
          stream,
          expiresAt,
          nativeToken: native.identificator(secret, '1h').generateTokenSync(identifiers),
          nativeSignedStream: native.signStream(stream, secret),
          broadcastUrl: `http://127.0.0.1:${server.address().port}/_broadcast`,
        }
        const runner = fileURLToPath(new URL('./support/edge-vm-run.mjs', import.meta.url))
        const output = await new Promise((resolve, reject) => {
          // Asynchronous, so this process's server can answer the broadcast.
          import('node:child_process').then(({ execFile }) =>
            execFile(process.execPath, ['--no-warnings', '--experimental-vm-modules', `--conditions=${condition}`, runner, JSON.stringify(input)], { cwd: fileURLToPath(root) }, (error, stdout, stderr) =>
              error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
            ),
          )
        })
        const { entry, specifiers, results } = JSON.parse(output)
        assert.equal(entry, EDGE_ENTRY)
        assert.ok(specifiers.every(specifier => /^\.\.?\/.*\.m?js$|^@noble\/hashes\//.test(specifier)), specifiers.join(' '))
        assert.ok(specifiers.includes('@noble/hashes/hmac.js'), specifiers.join(' '))
        assert.deepEqual(results.globals, { require: 'undefined', process: 'undefined', Buffer: 'undefined', module: 'undefined' })
        assert.deepEqual(results.exports, EXPORTS)
        assert.deepEqual(native.verifyToken(results.token, { secret }), identifiers)
        assert.deepEqual(native.verifyToken(results.syncToken, { secret }), identifiers)
        assert.deepEqual(native.verifyToken(results.oneOff, { secret }), identifiers)
        assert.equal(JSON.parse(Buffer.from(results.oneOff.split('.')[1], 'base64url')).exp, expiresAt)
        assert.deepEqual(results.nativeTokenVerified, identifiers)
        assert.equal(results.nativeTokenValid, true)
        assert.deepEqual(results.nativeTokenSyncVerified, identifiers)
        assert.deepEqual(results.oneOffVerified, identifiers)
        const badSignature = { name: 'TokenError', isTokenError: true, code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED', reason: 'unauthorized', message: 'token signature does not match' }
        assert.deepEqual(results.badToken.error, badSignature)
        assert.deepEqual(results.badTokenAsync.error, badSignature)
        assert.equal(results.signedStream, native.signStream(stream, secret))
        assert.equal(results.verifiedStream, stream)
        assert.deepEqual(results.keys, [native.broadcastKey(secret), native.rpcKey(secret)])
        assert.deepEqual(results.broadcast, { value: 'sent' })
        assert.deepEqual(requests, [
          {
            method: 'POST',
            url: '/_broadcast',
            authorization: `Bearer ${native.broadcastKey(secret)}`,
            type: 'application/json',
            body: JSON.stringify({ stream, data: JSON.stringify({ text: 'hello' }), meta: { exclude_socket: 'sid' } }),
          },
        ])
      } finally {
        server.close()
      }
    })
  }
})
