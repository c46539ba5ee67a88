// A worker process for benchmark/redis.mjs: opens N subscribed clients to one node, then reports
// the latency of every broadcast it receives (publish time is in the message).
import WebSocket from 'ws'
import { generateToken, signStream } from '../../index.js'

const [url, count, secret, stream] = [process.argv[2], Number(process.argv[3]), process.argv[4], process.argv[5]]
const identifier = JSON.stringify({ channel: '$pubsub', signed_stream_name: signStream(stream, secret) })
const token = generateToken({ bench: true }, { secret })
const latencies = []
const sockets = []
const now = () => performance.timeOrigin + performance.now()

function open() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['actioncable-v1-json', `anycable-token.${token}`])
    ws.on('message', data => {
      const frame = JSON.parse(data)
      if (frame.type === 'welcome') ws.send(JSON.stringify({ command: 'subscribe', identifier }))
      else if (frame.type === 'confirm_subscription') resolve(ws)
      else if (frame.message?.t) latencies.push(now() - frame.message.t)
    })
    ws.once('error', reject)
  })
}

for (let i = 0; i < count; i += 100) {
  sockets.push(...(await Promise.all(Array.from({ length: Math.min(100, count - i) }, open))))
}
process.send({ ready: sockets.length })
process.on('message', message => {
  if (message === 'report') {
    for (const ws of sockets) ws.terminate()
    // Exit only once the (large) report has been handed to the parent.
    process.send({ latencies }, () => process.exit(0))
  }
})
