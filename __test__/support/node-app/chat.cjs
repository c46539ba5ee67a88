'use strict'
// chat.mjs as a CommonJS app: the same channels, with require('anycable-rs').
const { Application, Channel, createCableServer } = require('anycable-rs')

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
server.listen().then(({ url }) => console.log(`listening on ${url}`))
