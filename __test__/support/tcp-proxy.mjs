// A loopback TCP proxy a test controls: clients connect through it, and `cut()` drops every
// connection at once, as a network failure would (the server and the client each see their
// socket end; new connections still pass).
import net from 'node:net'

/** A proxy on a free loopback port in front of `127.0.0.1:<port>`; closed after the test. */
export async function tcpProxy(t, port) {
  const sockets = new Set()
  const track = socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
  }
  const server = net.createServer(downstream => {
    const upstream = net.connect(port, '127.0.0.1')
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

  t.after(
    () =>
      new Promise(resolve => {
        cut()
        server.close(resolve)
      }),
  )
  return { port: server.address().port, cut }
}
