// The RPC-over-HTTP handlers: every case of serverless-js's tests/service.test.ts, cross-checked
// against serverless-js's own handler; and the done-criterion, a Next.js-style route with this
// package's handler, Application and Channel answering real AnyCable clients of
// createCableServer({ rpcHost }).
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import WebSocket from 'ws'
import {
  Application,
  Channel,
  Status,
  broadcastKey,
  commandHandler,
  connectHandler,
  disconnectHandler,
  handler,
  verifyRpcRequest,
  rpcKey,
  generateToken,
  identificator,
} from '../index.mjs'
import { LIBRARIES, chatApplication } from './support/channel-apps.mjs'
import { serveRoute } from './support/next-route.mjs'
import { SECRET, startServer, client, token, collect, until, sleep } from './support/cable.mjs'

const sessions = identificator(SECRET, '1h')

const ours = LIBRARIES['anycable-rs']
const ROOM = '{"channel":"chat","roomId":"42"}'

/** A request as an AnyCable server sends it to `…/api/anycable/<method>`. */
function rpcRequest(method, body, { sid, authorization } = {}) {
  const headers = { 'content-type': 'application/json' }
  if (sid) headers['x-anycable-meta-sid'] = sid
  if (authorization) headers.authorization = authorization
  const payload = { ...body, env: { url: 'http://localhost', ...body.env } }
  return new Request(`http://cable.test/api/anycable/${method}`, { method: 'POST', headers, body: JSON.stringify(payload) })
}

/** The answer of each library's `handler` to the same request; asserts they are equal. */
async function sameInBoth(method, body, options, prepare = () => {}) {
  const answers = await Promise.all(
    Object.values(LIBRARIES).map(async library => {
      const chat = chatApplication(library)
      prepare(chat)
      return { answer: await library.handler(rpcRequest(method, body, options), chat.app), calls: chat.calls }
    }),
  )
  assert.deepEqual(answers[0], answers[1], 'anycable-rs and serverless-js answer alike')
  return answers[0]
}

describe("handler answers as serverless-js's does", () => {
  test('connect: welcomed, with the identifiers as JSON and the sid from x-anycable-meta-sid', async () => {
    const { answer } = await sameInBoth('connect', { env: { url: 'http://localhost?user_id=13' } }, { sid: 's42' })
    assert.equal(answer.status, Status.SUCCESS)
    assert.equal(answer.error_msg, '')
    assert.equal(answer.identifiers, '{"userId":"13"}')
    assert.deepEqual(answer.transmissions, ['{"type":"welcome","sid":"s42"}'])
  })

  test('connect: rejected, FAILURE with "Auth failed" and disconnect unauthorized', async () => {
    const { answer } = await sameInBoth('connect', {}, { sid: 's42' })
    assert.equal(answer.status, Status.FAILURE)
    assert.equal(answer.error_msg, 'Auth failed')
    assert.equal(answer.identifiers, '')
    assert.deepEqual(answer.transmissions, ['{"type":"disconnect","reason":"unauthorized"}'])
  })

  test('connect without a sid header welcomes with sid null', async () => {
    const { answer } = await sameInBoth('connect', { env: { url: 'http://localhost?user_id=1' } })
    assert.deepEqual(answer.transmissions, ['{"type":"welcome","sid":null}'])
  })

  test('command: subscribe confirmed, with the streams', async () => {
    const { answer } = await sameInBoth('command', { connection_identifiers: '{"userId":"13"}', command: 'subscribe', identifier: ROOM })
    assert.equal(answer.status, Status.SUCCESS)
    assert.equal(answer.disconnect, false)
    assert.equal(answer.error_msg, '')
    assert.equal(answer.stop_streams, false)
    assert.deepEqual(answer.transmissions.map(frame => JSON.parse(frame)), [{ identifier: ROOM, type: 'confirm_subscription' }])
    assert.deepEqual(answer.streams, ['room:42', 'room:42:user:13'])
    assert.deepEqual(answer.stopped_streams, [])
  })

  test('command: subscribe rejected is FAILURE with reject_subscription', async () => {
    const identifier = '{"channel":"chat"}'
    const { answer } = await sameInBoth('command', { connection_identifiers: '{"userId":"13"}', command: 'subscribe', identifier })
    assert.equal(answer.status, Status.FAILURE)
    assert.deepEqual(answer.transmissions, [JSON.stringify({ identifier, type: 'reject_subscription' })])
  })

  test('command: perform, with the state saved in env.istate', async () => {
    const { answer } = await sameInBoth('command', {
      connection_identifiers: '{"userId":"13"}',
      command: 'message',
      identifier: ROOM,
      data: JSON.stringify({ action: 'sendMessage', body: 'hi' }),
    })
    assert.equal(answer.status, Status.SUCCESS)
    assert.deepEqual(JSON.parse(answer.transmissions[0]), { identifier: ROOM, message: { username: 'User 13', body: 'hi' } })
    assert.deepEqual(answer.env.istate, { [ROOM]: '{"sent":1}' })
  })

  test('disconnect: unsubscribed for each subscription, then disconnect, with the identifiers', async () => {
    const { answer, calls } = await sameInBoth('disconnect', { identifiers: '{"userId":"13"}', subscriptions: [ROOM] })
    assert.deepEqual(answer, { status: Status.SUCCESS, error_msg: '' })
    assert.deepEqual(calls, { disconnect: ['13'], unsubscribed: ['13-42'] })
  })

  test('disconnect: an app and channel overridden on the instance, as serverless-js users do', async () => {
    const seen = []
    const { calls } = await sameInBoth('disconnect', { identifiers: '{"userId":"13"}', subscriptions: [ROOM] }, {}, chat => {
      chat.app.findChannel(ROOM).channel.unsubscribed = async (handle, params) => seen.push(`${handle.identifiers.userId}-${params.roomId}`)
    })
    assert.deepEqual(seen, ['13-42', '13-42'])
    assert.deepEqual(calls.unsubscribed, [])
  })

  test('an unknown method rejects with an Error naming it', async () => {
    const { app } = chatApplication(ours)
    await assert.rejects(handler(rpcRequest('history', {}), app), { message: 'Unknown RPC method: history' })
  })
})

describe('the method handlers and what this package adds', () => {
  test('connectHandler, commandHandler and disconnectHandler answer their method whatever the path', async () => {
    const { app, calls } = chatApplication(ours)
    const at = (method, body) => rpcRequest(method, body, { sid: 'abc' })
    assert.equal((await connectHandler(at('x', { env: { url: 'http://localhost?user_id=1' } }), app)).identifiers, '{"userId":"1"}')
    const subscribed = await commandHandler(at('y', { connection_identifiers: '{"userId":"1"}', command: 'subscribe', identifier: ROOM }), app)
    assert.deepEqual(subscribed.streams, ['room:42', 'room:42:user:1'])
    assert.equal((await disconnectHandler(at('z', { identifiers: '{"userId":"1"}', subscriptions: [] }), app)).status, Status.SUCCESS)
    assert.deepEqual(calls.disconnect, ['1'])
  })

  test('a connection accepted without identifiers can run commands (serverless-js fails on JSON.parse(""))', async () => {
    const body = { connection_identifiers: '', command: 'subscribe', identifier: '{"channel":"chat","roomId":"1"}' }
    const answer = await handler(rpcRequest('command', body), chatApplication(ours).app)
    assert.deepEqual(answer.streams, ['room:1', 'room:1:user:undefined'])
    await assert.rejects(LIBRARIES['serverless-js'].handler(rpcRequest('command', body), chatApplication(LIBRARIES['serverless-js']).app), SyntaxError)
  })

  test('a body that is not a JSON object, a non-Request and a non-Application are clear errors', async () => {
    const { app } = chatApplication(ours)
    const raw = body => new Request('http://cable.test/api/anycable/connect', { method: 'POST', body })
    await assert.rejects(handler(raw('{"env":'), app), /the RPC request body is not valid JSON/)
    await assert.rejects(handler(raw('[1]'), app), /the RPC request body must be a JSON object/)
    await assert.rejects(handler({ url: 'http://cable.test/connect' }, app), { name: 'TypeError', message: /expected a WHATWG Request/ })
    await assert.rejects(handler(undefined, app), TypeError)
    await assert.rejects(handler(rpcRequest('connect', {}), { connect() {} }), { name: 'TypeError', message: /app must be an Application/ })
  })

  test('verifyRpcRequest accepts exactly the rpc-cable key derived from the secret', () => {
    const key = createHmac('sha256', SECRET).update('rpc-cable').digest('hex')
    const withAuthorization = authorization => rpcRequest('connect', {}, { authorization })
    assert.equal(verifyRpcRequest(withAuthorization(`Bearer ${key}`), SECRET), true)
    assert.equal(verifyRpcRequest(withAuthorization(`Bearer ${key}`), 'another secret'), false)
    assert.equal(verifyRpcRequest(withAuthorization(key), SECRET), false)
    assert.equal(verifyRpcRequest(withAuthorization(`Bearer ${key.slice(1)}`), SECRET), false)
    assert.equal(verifyRpcRequest(rpcRequest('connect', {}), SECRET), false)
    assert.throws(() => verifyRpcRequest(withAuthorization(`Bearer ${key}`), ''), TypeError)
    assert.equal(rpcKey(SECRET), key)
    assert.throws(() => rpcKey(''), TypeError)
  })
})

/** Messages as a sorted list of their JSON: the route's broadcast may overtake its answer. */
const unordered = messages => messages.map(message => JSON.stringify(message)).sort()

/** A WebSocket that sends a cookie, as a browser would for a same-site app. */
const withCookie = cookie =>
  class extends WebSocket {
    constructor(url, protocols) {
      super(url, protocols, { headers: { cookie } })
    }
  }

/**
 * The chat of a Next.js app, written with this package's classes: `connect` reads the session
 * cookie; `chat` greets on subscribe, and `sendMessage` acknowledges to the sender and broadcasts
 * to the room through the cable server's HTTP broadcast endpoint.
 */
function nextChatApp() {
  const calls = { connect: 0, unsubscribed: [], disconnect: [] }
  let broadcastUrl

  async function broadcast(stream, data) {
    const response = await fetch(broadcastUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${broadcastKey(SECRET)}` },
      body: JSON.stringify({ stream, data: JSON.stringify(data) }),
    })
    if (!response.ok) throw new Error(`broadcast answered ${response.status}`)
  }

  class ChatChannel extends Channel {
    async subscribed(handle, params) {
      if (!params?.roomId) {
        handle.reject()
        return
      }
      handle.streamFrom(`room:${params.roomId}`).transmit({ joined: params.roomId })
    }

    async unsubscribed(handle, params) {
      calls.unsubscribed.push(`${handle.identifiers.username}-${params.roomId}`)
    }

    async sendMessage(handle, params, data) {
      handle.transmit({ sent: data.body })
      await broadcast(`room:${params.roomId}`, { username: handle.identifiers.username, body: data.body })
    }
  }

  class ChatApplication extends Application {
    async connect(handle) {
      calls.connect++
      // A session token in a cookie, verified as serverless-js apps do: an expired one rejects
      // with TokenError code ERR_JWT_EXPIRED, which handleOpen turns into token_expired.
      const session = /(?:^|;\s*)session=([^;]+)/.exec(handle.env.headers?.cookie ?? '')?.[1]
      if (session) {
        handle.identifiedBy(await sessions.verifyAndFetch(session))
        return
      }
      const user = /(?:^|;\s*)user=([^;]+)/.exec(handle.env.headers?.cookie ?? '')?.[1]
      if (user) handle.identifiedBy({ username: user })
      else handle.reject()
    }

    async disconnect(handle) {
      calls.disconnect.push(handle.identifiers.username)
    }
  }

  const app = new ChatApplication()
  app.registerChannel('chat', new ChatChannel())
  return {
    app,
    calls,
    broadcastTo(url) {
      broadcastUrl = url
    },
  }
}

describe('a Next.js route with handler answers real clients of createCableServer({ rpcHost })', () => {
  /** The chat's route (what app/api/anycable/[method]/route.js holds) and a server calling it. */
  async function setup(t, { serverSecret = SECRET } = {}) {
    const chat = nextChatApp()
    const POST = async req => {
      if (!verifyRpcRequest(req, SECRET)) return new Response('unauthorized', { status: 401 })
      return Response.json(await handler(req, chat.app))
    }
    const route = await serveRoute(POST)
    t.after(route.close)
    const started = await startServer(t, { secret: serverSecret, rpcHost: route.url })
    chat.broadcastTo(`http://127.0.0.1:${started.port}/_broadcast`)
    const cookieClient = user => client(t, started.url, { websocketAuthStrategy: 'param', websocketImplementation: withCookie(`user=${user}`) })
    const jwtClient = username => client(t, started.url, { auth: { token: token({ username }) } })
    return { ...started, chat, route, cookieClient, jwtClient }
  }

  test('a cookie client (through connect) and a JWT client (no connect) subscribe, perform, get the transmission and the broadcast', async t => {
    const { chat, route, cookieClient, jwtClient } = await setup(t)
    const ann = cookieClient('ann')
    const bob = jwtClient('bob')
    const annRoom = ann.subscribeTo('chat', { roomId: '42' })
    const bobRoom = bob.subscribeTo('chat', { roomId: '42' })
    const [annGot, bobGot] = [collect(annRoom), collect(bobRoom)]
    await Promise.all([annRoom.ensureSubscribed(), bobRoom.ensureSubscribed()])
    await annRoom.perform('sendMessage', { body: 'hello' })
    await until(() => annGot.length === 3 && bobGot.length === 2, 5000, 'the transmissions and the broadcast')
    assert.deepEqual(annGot[0], { joined: '42' })
    assert.deepEqual(unordered(annGot), unordered([{ joined: '42' }, { sent: 'hello' }, { username: 'ann', body: 'hello' }]))
    assert.deepEqual(bobGot, [{ joined: '42' }, { username: 'ann', body: 'hello' }])
    assert.equal(chat.calls.connect, 1)
    assert.deepEqual(route.requests.map(({ path }) => path).filter(path => path.endsWith('/connect')), ['/api/anycable/connect'])
  })

  test('a subscription without roomId is rejected; a tokenless client without a cookie is unauthorized', async t => {
    const { jwtClient, cookieClient, chat } = await setup(t)
    const ann = jwtClient('ann')
    await assert.rejects(ann.subscribeTo('chat', {}).ensureSubscribed())
    const stranger = cookieClient('')
    await assert.rejects(stranger.connect(), error => error.reason === 'unauthorized')
    assert.equal(chat.calls.connect, 1)
    assert.equal(ann.state, 'connected')
  })

  test('connect throwing ERR_JWT_EXPIRED disconnects the client with token_expired', async t => {
    const { cookieClient } = await setup(t)
    const expired = generateToken({ username: 'ann' }, { secret: SECRET, expiresAt: Date.now() / 1000 - 1 })
    await assert.rejects(cookieClient(`ann; session=${expired}`).connect(), error => error.reason === 'token_expired')
    const valid = await sessions.generateToken({ username: 'ann' })
    await cookieClient(`nobody; session=${valid}`).connect()
  })

  test('performing a callback or an Object member runs nothing; the client stays connected', async t => {
    const { jwtClient, server } = await setup(t)
    const ann = jwtClient('ann')
    const room = ann.subscribeTo('chat', { roomId: '1' })
    const got = collect(room)
    await room.ensureSubscribed()
    for (const action of ['subscribed', 'unsubscribed', 'constructor', 'toString', '__proto__']) await room.perform(action, { roomId: '2' })
    await room.perform('sendMessage', { body: 'still here' })
    await until(() => got.length === 3, 5000, 'the acknowledgement and the broadcast')
    assert.deepEqual(unordered(got), unordered([{ joined: '1' }, { sent: 'still here' }, { username: 'ann', body: 'still here' }]))
    assert.equal(server.stats().streams, 1)
    assert.equal(ann.state, 'connected')
  })

  test('unsubscribe runs unsubscribed; closing the connection runs unsubscribed for the rest, then disconnect', async t => {
    const { cookieClient, chat } = await setup(t)
    const carol = cookieClient('carol')
    const first = carol.subscribeTo('chat', { roomId: '7' })
    await first.ensureSubscribed()
    await carol.subscribeTo('chat', { roomId: '8' }).ensureSubscribed()
    await first.disconnect()
    await until(() => chat.calls.unsubscribed.length === 1, 5000, 'unsubscribed')
    assert.deepEqual(chat.calls.unsubscribed, ['carol-7'])
    carol.disconnect()
    await until(() => chat.calls.disconnect.length === 1, 5000, 'disconnect')
    await sleep(100)
    assert.deepEqual(chat.calls, { connect: 1, unsubscribed: ['carol-7', 'carol-8'], disconnect: ['carol'] })
  })

  test('a route checking the key refuses a server configured with another secret', async t => {
    const { cookieClient, chat, route } = await setup(t, { serverSecret: 'not the route secret' })
    await assert.rejects(cookieClient('ann').connect(), error => error.reason === 'unauthorized')
    assert.equal(chat.calls.connect, 0)
    assert.deepEqual(route.requests.map(({ path }) => path), ['/api/anycable/connect'])
  })
})
