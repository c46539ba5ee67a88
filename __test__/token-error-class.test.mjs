// One TokenError class for both builds: the native build requires the Edge build's module, so a
// caller's `instanceof TokenError` holds whichever build refused the token, however the package
// was loaded (require, import, or the Edge export conditions).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { instanceOf, kinds } from './support/token-error-classes.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** Both builds took part, and every refusal is an instance of every build's TokenError. */
function assertOneClass(kindOf, classesOf) {
  assert.deepEqual(new Set(Object.values(kindOf)), new Set(['native', 'edge']), JSON.stringify(kindOf))
  for (const [name, classes] of Object.entries(classesOf)) assert.deepEqual(classes, Object.keys(kindOf), name)
}

test('require, import and the Edge build: each refusal is an instance of every TokenError', async () => {
  const builds = {
    required: createRequire(import.meta.url)('anycable-rs'),
    imported: await import('anycable-rs'),
    edge: await import('../index.edge.mjs'),
  }
  assert.deepEqual(kinds(builds), { required: 'native', imported: 'native', edge: 'edge' })
  assertOneClass(kinds(builds), instanceOf(builds))
})

test('under --conditions=edge-light: the Edge build by name, the native one by path, one TokenError', () => {
  const script = `
import { createRequire } from 'node:module'
import { instanceOf, kinds } from './__test__/support/token-error-classes.mjs'
const require = createRequire(process.cwd() + '/')
const builds = { imported: await import('anycable-rs'), required: require('anycable-rs'), native: require('./index.js') }
console.log(JSON.stringify({ kinds: kinds(builds), instanceOf: instanceOf(builds) }))
`
  const output = execFileSync(process.execPath, ['--conditions=edge-light', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' })
  const reported = JSON.parse(output)
  assert.deepEqual(reported.kinds, { imported: 'edge', required: 'edge', native: 'native' })
  assertOneClass(reported.kinds, reported.instanceOf)
})
