// Nodes of a cluster on one Redis with the Redis broker: CLI children (which a test may SIGKILL)
// and in-process servers (for server.broadcast, server.presence and stats).
import { createCableServer } from '../../index.mjs'
import { SECRET } from './cable.mjs'
import { runCli } from './cli.mjs'

/** A `--broker=redis` node in another process; resolves with its URL, port and child process. */
export async function cliNode(t, redis, flags = []) {
  const node = runCli(t, ['--port=0', '--broker=redis', '--public_streams', ...flags], {
    ANYCABLE_SECRET: SECRET,
    REDIS_URL: redis.url,
  })
  const url = await node.listening
  return { url, port: Number(new URL(url).port), child: node.child }
}

/** A `broker: 'redis'` node in this process. */
export async function localNode(t, redis, options = {}) {
  const server = createCableServer({ port: 0, secret: SECRET, broker: 'redis', redisUrl: redis.url, publicStreams: true, ...options })
  const info = await server.listen()
  t.after(() => server.close())
  return { server, ...info }
}
