// Peer for bench:server: Socket.IO with rooms, doing the same job: JWT check at connect
// (`auth.token`, verified with jsonwebtoken), a `subscribe` event carrying the signed stream name,
// room fan-out, and POST /_broadcast with the bearer key. Prints "listening <port>" when ready.
import http from 'node:http'
import { peerAuth } from './auth.mjs'
import jwt from 'jsonwebtoken'
import { Server } from 'socket.io'

const secret = process.env.SECRET
const { broadcastAllowed, verifyStream } = peerAuth(secret)
const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/_broadcast') return
  if (!broadcastAllowed(req)) return res.writeHead(401).end()
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
