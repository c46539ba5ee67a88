'use strict'
// What a new user does first: a token round trip, then a server that welcomes one client and
// closes. Prints a JSON report for __test__/package.test.mjs.
const net = require('node:net')

async function check({ identificator, createCableServer }) {
  const secret = 'package-test-secret'
  const tokens = identificator(secret, '1h')
  const token = tokens.generateTokenSync({ user_id: 7 })
  const identifiers = await tokens.verifyToken(token)
  const server = createCableServer({ port: 0, secret })
  const { port } = await server.listen()
  const welcome = await firstFrame(port, token)
  await server.close()
  return { identifiers, welcome, closed: await refused(port) }
}

/** The first frame a WebSocket client authenticated with `token` receives, as text. */
function firstFrame(port, token) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(
        [
          'GET /cable HTTP/1.1',
          `Host: 127.0.0.1:${port}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
          'Sec-WebSocket-Version: 13',
          `Sec-WebSocket-Protocol: actioncable-v1-json, anycable-token.${token}`,
          '',
          '',
        ].join('\r\n'),
      )
    })
    let received = ''
    const timer = setTimeout(() => reject(new Error(`no welcome in: ${received}`)), 5000)
    socket.on('data', chunk => {
      received += chunk.toString('latin1')
      const start = received.indexOf('{')
      const end = received.indexOf('}', start)
      if (received.startsWith('HTTP/1.1 101') && start > 0 && end > start) {
        clearTimeout(timer)
        socket.destroy()
        resolve(received.slice(start, end + 1))
      }
    })
    socket.on('error', reject)
  })
}

/** Whether connecting to `port` is refused (the server closed its listener). */
function refused(port) {
  return new Promise(resolve => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy()
      resolve(false)
    })
    socket.on('error', error => resolve(error.code === 'ECONNREFUSED'))
  })
}

module.exports = { check }
