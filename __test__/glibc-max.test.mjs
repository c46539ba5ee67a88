// scripts/glibc-max.sh, which the release workflow runs on each -gnu binary, on this machine's
// build: the version it prints is parseable and the baseline comparison goes by it. The version
// itself is this machine's glibc, not the release baseline, so it is only reported.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { targetOf } from '../lib/platform.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const TARGET = targetOf()
const BINARY = `${ROOT}anycable-rs.${TARGET}.node`

function glibcMax(...args) {
  const { status, stdout, stderr } = spawnSync('bash', [`${ROOT}scripts/glibc-max.sh`, ...args], { encoding: 'utf8' })
  return { status, stdout: stdout.trim(), stderr: stderr.trim() }
}

test('the highest glibc version the local build needs, and the baseline check', { skip: !TARGET.endsWith('-gnu') && `${TARGET} links no glibc` }, t => {
  assert.ok(existsSync(BINARY), `${BINARY} is built (npm run build)`)
  const { status, stdout: highest } = glibcMax(BINARY)
  assert.equal(status, 0)
  assert.match(highest, /^2\.\d+(\.\d+)?$/)
  t.diagnostic(`anycable-rs.${TARGET}.node needs glibc ${highest}`)

  assert.deepEqual(glibcMax(BINARY, highest), { status: 0, stdout: highest, stderr: '' }, 'at the baseline')
  assert.equal(glibcMax(BINARY, '2.999').status, 0, 'below the baseline')
  const above = glibcMax(BINARY, '2.0')
  assert.equal(above.status, 1)
  assert.equal(above.stdout, highest)
  assert.match(above.stderr, new RegExp(`needs glibc ${highest.replaceAll('.', '\\.')}, above the baseline 2\\.0$`))
})

test('what it cannot read is an error, not a version', () => {
  const cases = [
    [[], /usage: glibc-max\.sh <binary>/],
    [[`${ROOT}no-such.node`], /no such file: .*no-such\.node/],
    [[`${ROOT}package.json`], /not an ELF binary: .*package\.json/],
    [[`${ROOT}package.json`, 'two'], /the baseline is a glibc version such as 2\.17, not 'two'/],
  ]
  for (const [args, message] of cases) {
    const { status, stdout, stderr } = glibcMax(...args)
    assert.equal(status, 2, args.join(' '))
    assert.equal(stdout, '')
    assert.match(stderr, message)
  }
})
