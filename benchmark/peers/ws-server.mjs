// Peer for bench:server: the same minimal job on the `ws` package, as a Node developer would
// write it: JWT check with `jsonwebtoken` at connect (token in the sub-protocol), Action Cable
// frames, signed $pubsub streams, room fan-out with one serialised frame per broadcast, pings,
// and POST /_broadcast with the bearer key. Prints "listening <port>" when ready.
import http from 'node:http'
import { createHmac, timingSafeEqual } from 'node:crypto'
import jwt from 'jsonwebtoken'
import { WebSocketServer } from 'ws'

const secret = process.env.SECRET
const key = Buffer.from(createHmac('sha256', secret).update('broadcast-cable').digest('hex'))
const rooms = new Map()

function verifyStream(signed) {
  const at = signed.lastIndexOf('--')
  if (at < 0) return null
  const [data, digest] = [signed.slice(0, at), signed.slice(at + 2)]
  const expected = createHmac('sha256', secret).update(data).digest('hex')
  if (digest.length !== expected.length || !timingSafeEqual(Buffer.from(digest), Buffer.from(expected))) return null
  return JSON.parse(Buffer.from(data, 'base64').toString())
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/_broadcast') return res.writeHead(404).end()
  const auth = Buffer.from((req.headers.authorization ?? '').replace(/^Bearer /, ''))
  if (auth.length !== key.length || !timingSafeEqual(auth, key)) return res.writeHead(401).end()
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
