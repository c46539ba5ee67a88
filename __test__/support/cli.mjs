// Runs `anycable-rs` (bin/anycable-rs.js) as a child process, as a user would from a shell.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const BIN = fileURLToPath(new URL('../../bin/anycable-rs.js', import.meta.url))

/** Starts the CLI with only PATH and `env` in its environment; `listening` resolves with the URL
 * of its start-up line (and rejects if it exits first), `exited` with its exit code. */
export function runCli(t, args, env = {}) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.after(() => child.kill('SIGKILL'))
  let output = ''
  const exited = new Promise(resolve => child.once('exit', code => resolve(code)))
  const listening = new Promise((resolve, reject) => {
    const onData = chunk => {
      output += chunk
      const match = /listening on (ws:\/\/\S+)/.exec(output)
      if (match) resolve(match[1])
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    exited.then(code => reject(new Error(`exited with ${code}: ${output}`)))
  })
  listening.catch(() => {})
  return { child, listening, exited, output: () => output }
}
