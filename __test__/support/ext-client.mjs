// The real @anycable/core client on the extended protocol, recording what a test asserts on.
import WebSocket from 'ws'
import { client, token as userToken } from './cable.mjs'

export const EXT = 'actioncable-v1-ext-json'

/**
 * `ws` as a browser delivers messages: one per task. By default `ws` emits every frame of one TCP
 * read in the same tick, and @anycable/core maps a subscription's identifier only in a microtask
 * after `confirm_subscription`, so it drops a `confirm_history` read together with it (its
 * `hub.notify` ignores unmapped identifiers). Browsers never batch like that.
 */
export class BrowserLikeWebSocket extends WebSocket {
  constructor(url, protocols, options = {}) {
    super(url, protocols, { allowSynchronousEvents: false, ...options })
  }
}

/** An extended-protocol client of `url`, authenticated as user 1 unless `options` say otherwise. */
export const extClient = (t, url, options = {}) =>
  client(t, url, { protocol: EXT, websocketImplementation: BrowserLikeWebSocket, auth: { token: userToken() }, ...options })

/**
 * An extended-protocol client of `url`, subscribed to `stream`, reconnecting after 100 ms. It
 * records every welcome frame and URL it connected to, the commands it sent, and its channel's
 * messages (with their `meta`), `info` and `connect` events.
 */
export async function recordingClient(t, url, stream, { token = userToken() } = {}) {
  const welcomes = []
  const urls = []
  class RecordingWebSocket extends BrowserLikeWebSocket {
    constructor(url, protocols, options) {
      super(url, protocols, options)
      urls.push(String(url))
      this.on('message', data => {
        const frame = JSON.parse(String(data))
        if (frame.type === 'welcome') welcomes.push(frame)
      })
    }
  }
  const cable = extClient(t, url, {
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
