// A Node app embedding the cable server: clients connect with a token and subscribe to the
// signed "clock" stream, which gets the time every second.
//   ANYCABLE_SECRET=dev-secret PORT=8080 node examples/server.mjs
import { createCableServer, signStream } from 'anycable-rs'

const secret = process.env.ANYCABLE_SECRET
const server = createCableServer({ port: Number(process.env.PORT ?? 8080), secret })
const { url } = await server.listen()
console.log(`listening on ${url}; subscribe to the signed stream ${signStream('clock', secret)}`)

const ticks = setInterval(() => server.broadcast('clock', { now: new Date().toISOString() }), 1000)
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    clearInterval(ticks)
    await server.close()
    process.exit(0)
  })
}
