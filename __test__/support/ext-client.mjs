// The real @anycable/core client on the extended protocol, recording what a test asserts on.
import WebSocket from 'ws'
import { client, token as userToken } from './cable.mjs'

export const EXT = 'actioncable-v1-ext-json'

/**
 * An extended-protocol client of `url`, subscribed to `stream`, reconnecting after 100 ms. It
 * records every welcome frame and URL it connected to, the commands it sent, and its channel's
 * messages (with their `meta`), `info` and `connect` events. `ws` delivers one message per task,
 * as browsers do (see history.test.mjs).
 */
export async function recordingClient(t, url, stream, { token = userToken() } = {}) {
  const welcomes = []
  const urls = []
  class RecordingWebSocket extends WebSocket {
    constructor(url, protocols, options = {}) {
      super(url, protocols, { allowSynchronousEvents: false, ...options })
      urls.push(String(url))
      this.on('message', data => {
        const frame = JSON.parse(String(data))
        if (frame.type === 'welcome') welcomes.push(frame)
      })
    }
  }
  const cable = client(t, url, {
    protocol: EXT,
    websocketImplementation: RecordingWebSocket,
    auth: { token },
    monitor: undefined,
    reconnectStrategy: () => 100,
  })
  const sent = []
  const send = cable.send.bind(cable)
  cable.send = message => {
    sent.push(message)
    return send(message)
  }
  const channel = cable.streamFrom(stream)
  const messages = []
  const infos = []
  const connects = []
  channel.on('message', (message, meta) => messages.push({ message, meta }))
  channel.on('info', info => infos.push(info))
  channel.on('connect', connect => connects.push(connect))
  await channel.ensureSubscribed()
  return { cable, channel, welcomes, urls, sent, messages, infos, connects }
}
