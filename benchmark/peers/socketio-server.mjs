// Peer for bench:server: Socket.IO with rooms, doing the same job: JWT check at connect
// (`auth.token`, verified with jsonwebtoken), a `subscribe` event carrying the signed stream name,
// room fan-out, and POST /_broadcast with the bearer key. Prints "listening <port>" when ready.
import http from 'node:http'
import { createHmac, timingSafeEqual } from 'node:crypto'
import jwt from 'jsonwebtoken'
import { Server } from 'socket.io'

const secret = process.env.SECRET
const key = Buffer.from(createHmac('sha256', secret).update('broadcast-cable').digest('hex'))

function verifyStream(signed) {
  const at = signed.lastIndexOf('--')
  if (at < 0) return null
  const [data, digest] = [signed.slice(0, at), signed.slice(at + 2)]
  const expected = createHmac('sha256', secret).update(data).digest('hex')
  if (digest.length !== expected.length || !timingSafeEqual(Buffer.from(digest), Buffer.from(expected))) return null
  return JSON.parse(Buffer.from(data, 'base64').toString())
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/_broadcast') return
  const auth = Buffer.from((req.headers.authorization ?? '').replace(/^Bearer /, ''))
  if (auth.length !== key.length || !timingSafeEqual(auth, key)) return res.writeHead(401).end()
  let body = ''
  req.on('data', chunk => (body += chunk))
  req.on('end', () => {
    const { stream, data } = JSON.parse(body)
    io.to(stream).emit('message', JSON.parse(data))
    res.writeHead(201).end()
  })
})

const io = new Server(server, { transports: ['websocket'], serveClient: false })
io.use((socket, next) => {
  try {
    jwt.verify(socket.handshake.auth?.token ?? '', secret, { algorithms: ['HS256', 'HS384', 'HS512'] })
    next()
  } catch {
    next(new Error('unauthorized'))
  }
})
io.on('connection', socket => {
  socket.on('subscribe', signed => {
    const stream = verifyStream(String(signed))
    if (!stream) return socket.emit('reject')
    socket.join(stream)
    socket.emit('confirm')
  })
})

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`listening ${server.address().port}`))
