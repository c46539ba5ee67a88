// The README's "while listening, the server keeps the Node process alive; after close() it can
// exit", checked in child processes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const INDEX = fileURLToPath(new URL('../index.js', import.meta.url))

/** A child process that listens, optionally closes after `closeAfter` ms, and reports. */
function child(t, closeAfter) {
  const script = `
    const { createCableServer } = require(${JSON.stringify(INDEX)})
    const server = createCableServer({ port: 0, secret: 's' })
    server.listen().then(() => {
      console.log('listening')
      ${closeAfter === undefined ? '' : `setTimeout(() => server.close().then(() => console.log('closed')), ${closeAfter})`}
    })`
  const childProcess = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.after(() => childProcess.kill('SIGKILL'))
  let output = ''
  const waiters = []
  childProcess.stdout.on('data', chunk => {
    output += chunk
    for (const waiter of waiters) waiter()
  })
  const printed = line =>
    new Promise((resolve, reject) => {
      const check = () => output.includes(line) && resolve()
      waiters.push(check)
      check()
      childProcess.once('exit', () => reject(new Error(`exited before printing ${line}: ${output}`)))
    })
  const exited = new Promise(resolve => childProcess.once('exit', code => resolve({ code })))
  return { childProcess, printed, exited }
}

/** `promise`'s value, or `fallback` if it takes longer than `ms` (the timer never outlives it). */
async function within(promise, ms, fallback) {
  let timer
  const late = new Promise(resolve => (timer = setTimeout(resolve, ms, fallback)))
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}

test('a listening server keeps the process alive', async t => {
  const node = child(t)
  await node.printed('listening')
  assert.equal(await within(node.exited, 1000, 'running'), 'running', 'the process exited while the server was listening')
})

test('after close() the process exits on its own', async t => {
  const node = child(t, 200)
  await node.printed('closed')
  assert.deepEqual(await within(node.exited, 5000, 'still running 5 s after close()'), { code: 0 })
})
