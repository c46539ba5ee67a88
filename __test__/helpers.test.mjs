// The test helpers themselves: a file's process exits as soon as its tests are done.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const PROBE = fileURLToPath(new URL('./support/exit-probe.mjs', import.meta.url))

test("client() leaves no timers behind: the process exits well before the client's 5 s subscribe retry", async () => {
  const { stdout, stderr } = await new Promise((resolve, reject) =>
    // Without this runner's NODE_TEST_CONTEXT the probe reports its own results as TAP.
    execFile(process.execPath, ['--test-reporter=tap', PROBE], { env: { PATH: process.env.PATH }, timeout: 30_000 }, (error, stdout, stderr) =>
      error ? reject(Object.assign(error, { stdout, stderr })) : resolve({ stdout, stderr }),
    ),
  )
  assert.match(stdout, /# pass 1/)
  const lingered = Number(/lingered (\d+) ms/.exec(stderr)?.[1])
  // Generous for a loaded machine, yet well under the 5000 ms retry timer that kept it alive.
  assert.ok(lingered < 2500, `the process lived ${lingered} ms after its tests`)
})
