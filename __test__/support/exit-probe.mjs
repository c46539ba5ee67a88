// Run as a plain `node` script by helpers.test.mjs: one test that subscribes a client() and
// unsubscribes it, then reports on stderr how long the process lived after its last hook.
import { test, after } from 'node:test'
import { signStream } from '../../index.mjs'
import { client, startServer, token, SECRET } from './cable.mjs'

test('a client subscribes and unsubscribes', async t => {
  const { url } = await startServer(t)
  const cable = client(t, url, { auth: { token: token() } })
  const channel = cable.streamFromSigned(signStream('exit-probe', SECRET))
  await channel.ensureSubscribed()
  await channel.disconnect()
})

let finishedAt
after(() => {
  finishedAt = performance.now()
})
process.on('exit', () => {
  process.stderr.write(`lingered ${Math.round(performance.now() - finishedAt)} ms\n`)
})
