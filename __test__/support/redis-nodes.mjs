// Nodes of a cluster on one Redis with the Redis broker: CLI children (which a test may SIGKILL)
// and in-process servers (for server.broadcast, server.presence and stats).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { createCableServer } from '../../index.mjs'
import { SECRET } from './cable.mjs'

const BIN = fileURLToPath(new URL('../../bin/anycable-rs.js', import.meta.url))

/** `ws` delivering one message per task, as browsers do (see history.test.mjs). */
export class BrowserLikeWebSocket extends WebSocket {
  constructor(url, protocols, options = {}) {
    super(url, protocols, { allowSynchronousEvents: false, ...options })
  }
}

/** A `--broker=redis` node in another process; resolves with its URL, port and child process. */
export async function cliNode(t, redis, flags = []) {
  const child = spawn(process.execPath, [BIN, '--port=0', '--broker=redis', '--public_streams', ...flags], {
    env: { PATH: process.env.PATH, ANYCABLE_SECRET: SECRET, REDIS_URL: redis.url },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  t.after(() => child.kill('SIGKILL'))
  let output = ''
  return new Promise((resolve, reject) => {
    child.stdout.on('data', chunk => {
      output += chunk
      const url = /listening on (ws:\/\/\S+)/.exec(output)?.[1]
      if (url) resolve({ url, port: Number(new URL(url).port), child })
    })
    child.once('exit', code => reject(new Error(`node exited with ${code}: ${output}`)))
  })
}

/** A `broker: 'redis'` node in this process. */
export async function localNode(t, redis, options = {}) {
  const server = createCableServer({ port: 0, secret: SECRET, broker: 'redis', redisUrl: redis.url, publicStreams: true, ...options })
  const info = await server.listen()
  t.after(() => server.close())
  return { server, ...info }
}
