// The package as users get it: the root and this platform's package as the release workflow
// prepares them (its `napi prepublish` adds the platform packages to optionalDependencies), packed
// with `npm pack`, installed into an empty project with no Rust toolchain on PATH, then used from
// CommonJS and ESM.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ENV, TARGET, npm, packLocalBuild } from '../scripts/pack-local.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const version = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version

/** An empty project with `tarballs` installed (`flags` added to npm install). */
function project(scratch, name, tarballs, flags = []) {
  const dir = path.join(scratch, name)
  cpSync(path.join(ROOT, '__test__', 'support', 'package-project'), dir, { recursive: true })
  npm(['install', '--no-package-lock', ...flags, ...tarballs], dir)
  return dir
}

function run(dir, script) {
  return execFileSync(process.execPath, [script], { cwd: dir, env: ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

test('packed packages install without Rust and work from CommonJS and ESM', { timeout: 240_000 }, async t => {
  assert.equal(execFileSync('sh', ['-c', 'command -v cargo || true'], { env: ENV, encoding: 'utf8' }).trim(), '')
  const scratch = mkdtempSync(path.join(tmpdir(), 'anycable-rs-package-'))
  t.after(() => rmSync(scratch, { recursive: true, force: true }))

  const { rootTarball, platformTarball } = packLocalBuild(scratch)
  assert.equal(path.basename(platformTarball), `anycable-rs-${TARGET}-${version}.tgz`)
  // The root package ships no binary of its own, and names the platform package as optional.
  const listed = execFileSync('tar', ['-tzf', rootTarball], { encoding: 'utf8' })
  assert.doesNotMatch(listed, /\.node$/m)
  const manifest = JSON.parse(execFileSync('tar', ['-xzOf', rootTarball, 'package/package.json'], { encoding: 'utf8' }))
  assert.equal(manifest.optionalDependencies[`anycable-rs-${TARGET}`], version)

  await t.test('with the platform package: tokens and a server, from require and import', () => {
    const dir = project(scratch, 'app', [rootTarball, platformTarball])
    for (const script of ['check.cjs', 'check.mjs']) {
      const report = JSON.parse(run(dir, script))
      assert.deepEqual(report.identifiers, { user_id: 7 })
      assert.match(report.welcome, /"type":"welcome"/)
      assert.equal(report.closed, true)
    }
  })

  // As when npm skips optional dependencies (a lockfile made on another platform, --omit=optional).
  await t.test('without it: an error that names the platform and the package to install', () => {
    const dir = project(scratch, 'bare', [rootTarball], ['--omit=optional'])
    const failure = (() => {
      try {
        run(dir, 'check.cjs')
      } catch (error) {
        return error.stderr
      }
      assert.fail('loading should fail without a binary')
    })()
    assert.match(failure, new RegExp(`native binary for ${TARGET} is not installed`))
    assert.match(failure, new RegExp(`npm install anycable-rs-${TARGET}`))
  })

  await t.test('without it, under the edge-light condition: the Edge build and its dependency are installed and work', () => {
    const dir = project(scratch, 'edge', [rootTarball])
    const script = `
      import { identificator, verifyToken, signStream } from 'anycable-rs'
      const jwt = identificator('edge-secret', '1h')
      const token = await jwt.generateToken({ user_id: 7 })
      process.stdout.write(JSON.stringify({ identifiers: verifyToken(token, { secret: 'edge-secret' }), signed: signStream('chat/7', 'edge-secret') }))`
    const output = execFileSync(process.execPath, ['--conditions=edge-light', '--input-type=module', '-e', script], { cwd: dir, env: ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    const report = JSON.parse(output)
    assert.deepEqual(report.identifiers, { user_id: 7 })
    assert.match(report.signed, /^ImNoYXQvNyI=--[0-9a-f]{64}$/)
  })

})
