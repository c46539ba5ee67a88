// index.d.ts and index.edge.d.mts cover the public API: a usage file for each compiles with tsc --strict.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const compiles = project => () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  try {
    execFileSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8', stdio: 'pipe' })
  } catch (error) {
    assert.fail(`tsc reported:\n${error.stdout}${error.stderr}`)
  }
}
const project = path => fileURLToPath(new URL(path, import.meta.url))

test('the typed usage file compiles with tsc --noEmit --strict', compiles(project('./types/tsconfig.json')))

test('under the edge-light condition the Edge build\'s types apply: its usage file compiles', compiles(project('./types/edge/tsconfig.json')))
