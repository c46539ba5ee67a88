// The chat example from @anycable/serverless-js's README, instrumented so tests can see what ran.
import { Application, Channel, broadcaster } from './serverless-js.mjs'

export function createChatApp() {
  const calls = { connect: 0, disconnect: [], unsubscribed: [] }
  let broadcastTo = async () => {
    throw new Error('broadcasting is not configured')
  }

  class ChatChannel extends Channel {
    async subscribed(handle, params) {
      if (!params?.roomId) {
        handle.reject()
        return
      }
      handle.streamFrom(`room:${params.roomId}`)
    }

    async unsubscribed(handle, params) {
      calls.unsubscribed.push({ user: handle.identifiers?.username, roomId: params.roomId })
    }

    async sendMessage(handle, params, data) {
      if (!data.body) throw new Error('Body is required')
      await broadcastTo(`room:${params.roomId}`, { username: handle.identifiers.username, body: data.body })
    }
  }

  /** Channels that misbehave, for failure tests. */
  class FaultyChannel extends Channel {
    async subscribed(handle, params) {
      if (params.mode === 'throw') throw new Error('subscribed exploded')
      if (params.mode === 'hang') return new Promise(() => {})
      handle.streamFrom('faulty')
    }

    async explode() {
      throw new Error('action exploded')
    }
  }

  class ChatApplication extends Application {
    async connect(handle) {
      calls.connect++
      const user = /(?:^|;\s*)user=([^;]+)/.exec(handle.env.headers?.cookie ?? '')?.[1]
      if (user) handle.identifiedBy({ username: user })
      else handle.reject()
    }

    async disconnect(handle) {
      calls.disconnect.push(handle.identifiers)
    }
  }

  const app = new ChatApplication()
  app.registerChannel('chat', new ChatChannel())
  app.registerChannel('faulty', new FaultyChannel())
  return {
    app,
    calls,
    useBroadcaster(url, key) {
      broadcastTo = broadcaster(url, key)
    },
  }
}
