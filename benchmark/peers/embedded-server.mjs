// Contender for bench:server: anycable-rs embedded in a Node process through createCableServer,
// as users run it. Prints "listening <port>" when ready.
import { createCableServer } from '../../index.js'

const server = createCableServer({ port: Number(process.env.PORT ?? 0), secret: process.env.SECRET })
const { port } = await server.listen()
console.log(`listening ${port}`)
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close().then(() => process.exit(0)))
