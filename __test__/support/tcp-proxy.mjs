// A loopback TCP proxy a test controls: clients connect through it, and `cut()` drops every
// connection at once, as a network failure would (the server and the client each see their
// socket end; new connections still pass). `retarget(port)` sends new connections elsewhere, as a
// load balancer does when a node dies.
import assert from 'node:assert/strict'
import net from 'node:net'
import { until, sleep } from './cable.mjs'

/** A proxy on a free loopback port in front of `127.0.0.1:<port>`; closed after the test. */
export async function tcpProxy(t, port) {
  let target = port
  const sockets = new Set()
  const track = socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
  }
  const server = net.createServer(downstream => {
    const upstream = net.connect(target, '127.0.0.1')
    track(downstream)
    track(upstream)
    downstream.pipe(upstream)
    upstream.pipe(downstream)
    downstream.on('close', () => upstream.destroy())
    upstream.on('close', () => downstream.destroy())
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))

  /** Drops every connection through the proxy; returns how many sockets it destroyed. */
  function cut() {
    const count = sockets.size
    for (const socket of sockets) socket.destroy()
    sockets.clear()
    return count
  }

  /** New connections go to `127.0.0.1:<next>` from now on; open ones stay where they are. */
  function retarget(next) {
    target = next
  }

  t.after(
    () =>
      new Promise(resolve => {
        cut()
        server.close(resolve)
      }),
  )
  return { port: server.address().port, cut, retarget }
}

/**
 * Broadcasts `total` numbered messages (`{ n }`) to `stream`, 15 ms apart, and cuts `proxy` once
 * `received()` counts ten; resolves when every message has been received (after the reconnect).
 */
export async function broadcastAcrossACut({ server, stream, proxy, received, total = 60 }) {
  let published = 0
  const publishing = (async () => {
    while (published < total) {
      server.broadcast(stream, { n: ++published })
      await sleep(15)
    }
  })()
  await until(() => received() >= 10, 5000, 'ten messages before the cut')
  assert.ok(proxy.cut() > 0, 'a connection was cut')
  await publishing
  await until(() => received() >= total, 10000, 'every message after the reconnect')
  // Anything sent twice would arrive by now.
  await sleep(200)
}
