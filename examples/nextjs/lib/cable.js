// The cable side of the app, shared by its routes: the token issuer and the channels that the
// AnyCable server calls over HTTP (app/api/anycable/[method]/route.js).
import { Application, Channel, broadcaster, broadcastKey, identificator } from 'anycable-rs'

export const secret = process.env.ANYCABLE_SECRET
// Where browsers connect, and where this app's routes send broadcasts: the AnyCable server
// (`npm run cable`, or `npx anycable-rs`) started with the same ANYCABLE_SECRET.
export const cableUrl = process.env.CABLE_URL ?? 'ws://localhost:8080/cable'
const broadcastUrl = process.env.CABLE_BROADCAST_URL ?? 'http://localhost:8080/_broadcast'

/** Tokens for `?jid=`: the server identifies the connection from them, with no call back here. */
export const tokens = identificator(secret, '1h')

const broadcast = broadcaster(broadcastUrl, broadcastKey(secret))

class ChatChannel extends Channel {
  async subscribed(handle, params) {
    if (typeof params?.room !== 'string' || params.room === '') return handle.reject()
    handle.streamFrom(`chat/${params.room}`)
  }

  async speak(handle, params, data) {
    const body = String(data?.body ?? '').slice(0, 500)
    if (body) await broadcast(`chat/${params.room}`, { user: handle.identifiers.user_id, body })
  }
}

class ChatApplication extends Application {
  async connect(handle) {
    // Only a connection without a valid token gets here (a valid one never calls connect).
    handle.reject()
  }
}

export const app = new ChatApplication()
app.registerChannel('chat', new ChatChannel())
