// A plain Node ESM app with channels written with anycable-rs's classes, served in-process.
// Prints "listening on <url>", then one "event <json>" line per connect / unsubscribed / disconnect.
//   ANYCABLE_SECRET=… node chat.mjs
import { Application, Channel, createCableServer } from 'anycable-rs'

const event = what => console.log(`event ${JSON.stringify(what)}`)

class ChatChannel extends Channel {
  async subscribed(handle, params) {
    if (!params?.roomId) {
      handle.reject()
      return
    }
    handle.streamFrom(`room:${params.roomId}`).transmit({ joined: params.roomId })
  }

  async unsubscribed(handle, params) {
    event({ unsubscribed: `${handle.identifiers.username}-${params.roomId}` })
  }

  async sendMessage(handle, params, data) {
    handle.transmit({ sent: data.body })
    server.broadcast(`room:${params.roomId}`, { username: handle.identifiers.username, body: data.body })
  }
}

class ChatApplication extends Application {
  async connect(handle) {
    const user = /(?:^|;\s*)user=([^;]+)/.exec(handle.env.headers?.cookie ?? '')?.[1]
    event({ connect: user ?? null })
    if (user) handle.identifiedBy({ username: user })
    else handle.reject()
  }

  async disconnect(handle) {
    event({ disconnect: handle.identifiers.username })
  }
}

const app = new ChatApplication()
app.registerChannel('chat', new ChatChannel())
const server = createCableServer({ port: 0, secret: process.env.ANYCABLE_SECRET, application: app })
const { url } = await server.listen()
console.log(`listening on ${url}`)
