// index.d.ts covers the public API: a usage file compiles with tsc --strict.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

test('the typed usage file compiles with tsc --noEmit --strict', () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  const project = fileURLToPath(new URL('./types/tsconfig.json', import.meta.url))
  try {
    execFileSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8', stdio: 'pipe' })
  } catch (error) {
    assert.fail(`tsc reported:\n${error.stdout}${error.stderr}`)
  }
})
