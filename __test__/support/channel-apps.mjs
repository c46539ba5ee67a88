// The application serverless-js's own tests exercise, written once against either library's
// classes, so a test can run the same calls through this package and through serverless-js.
import * as ours from '../../index.mjs'
import * as serverless from './serverless-js.mjs'

export const LIBRARIES = { 'anycable-rs': ours, 'serverless-js': serverless }

/**
 * A chat: `connect` identifies `?user_id=` or rejects; the `chat` channel needs `roomId`, streams
 * the room and the user's own stream in it, and answers `sendMessage` with a transmission (and
 * keeps a count of them in its state). `calls` records the callbacks that ran.
 */
export function chatApplication({ Application, Channel }) {
  const calls = { disconnect: [], unsubscribed: [] }

  class ChatChannel extends Channel {
    async subscribed(handle, params) {
      if (!params?.roomId) {
        handle.reject()
        return
      }
      handle.streamFrom(`room:${params.roomId}`)
      handle.streamFrom(`room:${params.roomId}:user:${handle.identifiers?.userId}`)
    }

    async unsubscribed(handle, params) {
      calls.unsubscribed.push(`${handle.identifiers?.userId}-${params?.roomId}`)
    }

    async sendMessage(handle, params, data) {
      if (!data.body) throw new Error('Body is required')
      handle.state = { sent: (handle.state?.sent ?? 0) + 1 }
      handle.transmit({ username: `User ${handle.identifiers.userId}`, body: data.body })
    }
  }

  class ChatApplication extends Application {
    async connect(handle) {
      const userId = new URL(handle.env.url).searchParams.get('user_id')
      if (userId) handle.identifiedBy({ userId })
      else handle.reject()
    }

    async disconnect(handle) {
      calls.disconnect.push(handle.identifiers?.userId)
    }
  }

  const app = new ChatApplication()
  app.registerChannel('chat', new ChatChannel())
  return { app, calls, ChatChannel }
}

/** What a connection handle collected, for comparing two libraries' answers. */
export function outcome(handle) {
  const { rejected, closed, identifiers, transmissions, streams, stoppedStreams, stopStreams, envChanges } = handle
  return { rejected, closed, identifiers, transmissions, streams, stoppedStreams, stopStreams, envChanges }
}
