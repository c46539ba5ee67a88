// Peer for bench:server: the same minimal job on the `ws` package, as a Node developer would
// write it: JWT check with `jsonwebtoken` at connect (token in the sub-protocol), Action Cable
// frames, signed $pubsub streams, room fan-out with one serialised frame per broadcast, pings,
// and POST /_broadcast with the bearer key. Prints "listening <port>" when ready.
import http from 'node:http'
import { peerAuth } from './auth.mjs'
import jwt from 'jsonwebtoken'
import { WebSocketServer } from 'ws'

const secret = process.env.SECRET
const { broadcastAllowed, verifyStream } = peerAuth(secret)
const rooms = new Map()

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/_broadcast') return res.writeHead(404).end()
  if (!broadcastAllowed(req)) return res.writeHead(401).end()
  let body = ''
  req.on('data', chunk => (body += chunk))
  req.on('end', () => {
    const { stream, data } = JSON.parse(body)
    const room = rooms.get(stream)
    if (room) {
      for (const [identifier, sockets] of room) {
        const frame = `{"identifier":${JSON.stringify(identifier)},"message":${data}}`
        for (const ws of sockets) ws.send(frame)
      }
    }
    res.writeHead(201).end()
  })
})

const wss = new WebSocketServer({
  server,
  path: '/cable',
  handleProtocols: protocols => (protocols.has('actioncable-v1-json') ? 'actioncable-v1-json' : false),
})

wss.on('connection', (ws, req) => {
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map(p => p.trim())
  const token = offered.find(p => p.startsWith('anycable-token.'))?.slice('anycable-token.'.length)
  try {
    jwt.verify(token ?? '', secret, { algorithms: ['HS256', 'HS384', 'HS512'] })
  } catch {
    ws.send('{"type":"disconnect","reason":"unauthorized","reconnect":false}')
    return ws.close(1000, 'Auth Failed')
  }
  const joined = []
  ws.send(JSON.stringify({ type: 'welcome', sid: Math.random().toString(36).slice(2) }))
  const ping = setInterval(() => ws.send(`{"type":"ping","message":${Math.floor(Date.now() / 1000)}}`), 3000)
  ws.on('message', raw => {
    const { command, identifier } = JSON.parse(raw)
    if (command !== 'subscribe') return
    const stream = verifyStream(JSON.parse(identifier).signed_stream_name ?? '')
    if (!stream) return ws.send(JSON.stringify({ type: 'reject_subscription', identifier }))
    if (!rooms.has(stream)) rooms.set(stream, new Map())
    const room = rooms.get(stream)
    if (!room.has(identifier)) room.set(identifier, new Set())
    room.get(identifier).add(ws)
    joined.push([stream, identifier])
    ws.send(JSON.stringify({ type: 'confirm_subscription', identifier }))
  })
  ws.on('close', () => {
    clearInterval(ping)
    for (const [stream, identifier] of joined) rooms.get(stream)?.get(identifier)?.delete(ws)
  })
})

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`listening ${server.address().port}`))
