// Contender for bench:server: anycable-rs embedded in a Node process through createCableServer,
// as users run it. BROKER (memory or none), when set, picks the broker for the extended
// protocol's rows; unset, the server's default. SERVER_OPTIONS (JSON), when set, adds options
// (the observability rows turn metrics and logs on with it). Prints "listening <port>" when ready.
import { createCableServer } from '../../index.js'

const server = createCableServer({
  port: Number(process.env.PORT ?? 0),
  secret: process.env.SECRET,
  ...(process.env.BROKER && { broker: process.env.BROKER }),
  ...JSON.parse(process.env.SERVER_OPTIONS ?? '{}'),
})
const { port } = await server.listen()
console.log(`listening ${port}`)
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close().then(() => process.exit(0)))
