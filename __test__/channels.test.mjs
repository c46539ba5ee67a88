// Application, Channel and their handles: every behaviour serverless-js's own tests check
// (tests/application.test.ts), run through this package and cross-checked against serverless-js,
// plus what this package does differently on purpose (actions, channel lookup, bad JSON).
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { errors as joseErrors } from 'jose'
import { Application, Channel, ChannelHandle, ConnectionHandle, Status } from '../index.mjs'
import anycableCjs from '../index.js'
import * as serverless from './support/serverless-js.mjs'
import { LIBRARIES, chatApplication, outcome } from './support/channel-apps.mjs'

const ours = LIBRARIES['anycable-rs']

const ROOM = '{"channel":"chat","roomId":2023}'

/** Runs `scenario(library)` with each library; asserts both give the same result and returns it. */
async function sameInBoth(scenario) {
  const [ours, theirs] = await Promise.all(Object.values(LIBRARIES).map(scenario))
  assert.deepEqual(ours, theirs, 'anycable-rs and serverless-js answer alike')
  return ours
}

/** A handle of `library` for a connection identified as user `userId`. */
function identified(library, userId, env = { url: 'http://localhost' }) {
  return new library.ConnectionHandle('123', env).identifiedBy({ userId })
}

describe('handleOpen', () => {
  test('an authenticated connection is welcomed with its sid and keeps its identifiers', async () => {
    const result = await sameInBoth(async library => {
      const handle = new library.ConnectionHandle('123', { url: 'http://localhost?user_id=1' })
      await chatApplication(library).app.handleOpen(handle)
      return outcome(handle)
    })
    assert.equal(result.rejected, false)
    assert.deepEqual(result.identifiers, { userId: '1' })
    assert.deepEqual(result.transmissions, ['{"type":"welcome","sid":"123"}'])
  })

  test('a rejected connection gets disconnect with unauthorized', async () => {
    const result = await sameInBoth(async library => {
      const handle = new library.ConnectionHandle('123', { url: 'http://localhost' })
      await chatApplication(library).app.handleOpen(handle)
      return outcome(handle)
    })
    assert.equal(result.rejected, true)
    assert.deepEqual(result.transmissions, ['{"type":"disconnect","reason":"unauthorized"}'])
  })

  const expiredErrors = {
    "jose's JWTExpired": () => new joseErrors.JWTExpired('"exp" claim timestamp check failed', {}),
    'any error with code ERR_JWT_EXPIRED': () => Object.assign(new Error('token expired'), { code: 'ERR_JWT_EXPIRED' }),
  }
  for (const [name, expired] of Object.entries(expiredErrors)) {
    test(`connect throwing ${name} gets disconnect with token_expired, so clients refresh their token`, async () => {
      const result = await sameInBoth(async library => {
        const { app } = chatApplication(library)
        app.connect = async () => {
          throw expired()
        }
        const handle = new library.ConnectionHandle('123', { url: 'http://localhost?user_id=1' })
        await app.handleOpen(handle)
        return outcome(handle)
      })
      assert.equal(result.rejected, true)
      assert.deepEqual(result.transmissions.map(frame => JSON.parse(frame)), [{ type: 'disconnect', reason: 'token_expired', reconnect: false }])
    })
  }

  test('any other error from connect rejects handleOpen', async () => {
    const app = new Application()
    app.connect = async () => {
      throw Object.assign(new Error('database down'), { code: 'ECONNREFUSED' })
    }
    await assert.rejects(app.handleOpen(new ConnectionHandle('1', { url: 'http://localhost' })), /database down/)
  })

  test('the default connect accepts everyone', async () => {
    const handle = new ConnectionHandle('s1', { url: 'http://localhost' })
    await new Application().handleOpen(handle)
    assert.deepEqual(outcome(handle).transmissions, ['{"type":"welcome","sid":"s1"}'])
  })
})

describe('handleClose', () => {
  test('runs disconnect with the identifiers and transmits nothing', async () => {
    const result = await sameInBoth(async library => {
      const { app, calls } = chatApplication(library)
      const handle = identified(library, '1')
      await app.handleClose(handle, [])
      return { calls, transmissions: handle.transmissions }
    })
    assert.deepEqual(result, { calls: { disconnect: ['1'], unsubscribed: [] }, transmissions: [] })
  })

  test('runs unsubscribed for every subscription first, with its params', async () => {
    const result = await sameInBoth(async library => {
      const { app, calls } = chatApplication(library)
      await app.handleClose(identified(library, '13'), ['{"channel":"chat","roomId":"42"}', '{"channel":"chat","roomId":"7"}'])
      return calls
    })
    assert.deepEqual(result, { disconnect: ['13'], unsubscribed: ['13-42', '13-7'] })
  })

  test('null subscriptions run only disconnect', async () => {
    const { app, calls } = chatApplication(ours)
    await app.handleClose(identified(ours, '5'), null)
    assert.deepEqual(calls, { disconnect: ['5'], unsubscribed: [] })
  })
})

describe('handleCommand', () => {
  /** The outcome of one command by user 42, or the message it was rejected with. */
  const command = (library, name, identifier, data = null, env) =>
    (async () => {
      const handle = identified(library, '42', env)
      try {
        await chatApplication(library).app.handleCommand(handle, name, identifier, data)
      } catch (error) {
        return { error: error.message }
      }
      return outcome(handle)
    })()

  test('an unregistered channel is an error naming it', async () => {
    const result = await sameInBoth(library => command(library, 'subscribe', '{"channel":"lobby"}'))
    assert.deepEqual(result, { error: 'Channel lobby is not registered' })
  })

  test('subscribe confirmed: confirm_subscription and the streams', async () => {
    const result = await sameInBoth(library => command(library, 'subscribe', ROOM))
    assert.equal(result.rejected, false)
    assert.deepEqual(result.transmissions, [JSON.stringify({ identifier: ROOM, type: 'confirm_subscription' })])
    assert.deepEqual(result.streams, ['room:2023', 'room:2023:user:42'])
  })

  test('subscribe rejected: reject_subscription and no streams', async () => {
    const identifier = '{"channel":"chat","room_id":2023}'
    const result = await sameInBoth(library => command(library, 'subscribe', identifier))
    assert.equal(result.rejected, true)
    assert.deepEqual(result.transmissions, [JSON.stringify({ identifier, type: 'reject_subscription' })])
    assert.deepEqual(result.streams, [])
  })

  test('perform: the action runs with the payload and its transmission is wrapped with the identifier', async () => {
    const data = JSON.stringify({ action: 'sendMessage', body: '2023 - Linea' })
    const result = await sameInBoth(library => command(library, 'message', ROOM, data))
    assert.equal(result.rejected, false)
    assert.deepEqual(result.streams, [])
    assert.deepEqual(
      result.transmissions.map(frame => JSON.parse(frame)),
      [{ identifier: ROOM, message: { username: 'User 42', body: '2023 - Linea' } }],
    )
  })

  test('an action that throws rejects the command', async () => {
    const data = JSON.stringify({ action: 'sendMessage' })
    assert.deepEqual(await sameInBoth(library => command(library, 'message', ROOM, data)), { error: 'Body is required' })
  })

  test('an unknown action is an error naming it', async () => {
    const data = JSON.stringify({ action: 'send_message', body: 'x' })
    assert.deepEqual(await sameInBoth(library => command(library, 'message', ROOM, data)), { error: 'Unknown action: send_message' })
  })

  test('an unknown command is an error naming it', async () => {
    assert.deepEqual(await sameInBoth(library => command(library, 'history', ROOM)), { error: 'Unknown command: history' })
  })

  test('unsubscribe runs unsubscribed with the params', async () => {
    const { app, calls } = chatApplication(ours)
    await app.handleCommand(identified(ours, '42'), 'unsubscribe', ROOM, null)
    assert.deepEqual(calls.unsubscribed, ['42-2023'])
  })

  test("a subscription's state is saved in istate and read back by its next command", async () => {
    const perform = JSON.stringify({ action: 'sendMessage', body: 'hi' })
    const result = await sameInBoth(async library => {
      const first = await command(library, 'message', ROOM, perform)
      const second = await command(library, 'message', ROOM, perform, { url: 'http://localhost', istate: { ...first.envChanges.istate } })
      return [first.envChanges, second.envChanges]
    })
    assert.deepEqual(result, [{ cstate: undefined, istate: { [ROOM]: '{"sent":1}' } }, { cstate: undefined, istate: { [ROOM]: '{"sent":2}' } }])
  })
})

describe('only methods of the channel subclass are actions (serverless-js runs any member)', () => {
  const FORBIDDEN = [
    'subscribed',
    'unsubscribed',
    'handleAction',
    'constructor',
    'toString',
    'valueOf',
    'hasOwnProperty',
    'isPrototypeOf',
    'propertyIsEnumerable',
    'toLocaleString',
    '__proto__',
    '__defineGetter__',
    '__defineSetter__',
    '__lookupGetter__',
  ]

  for (const action of FORBIDDEN) {
    test(`perform "${action}" is an unknown action and runs nothing`, async () => {
      const { app, calls } = chatApplication(ours)
      const handle = identified(ours, '42')
      await assert.rejects(
        app.handleCommand(handle, 'message', ROOM, JSON.stringify({ action, roomId: '666' })),
        { message: `Unknown action: ${action}` },
      )
      assert.deepEqual(outcome(handle).streams, [])
      assert.deepEqual(calls.unsubscribed, [])
    })
  }

  test('by contrast, serverless-js lets a client run subscribed as an action, adding a stream', async () => {
    const perform = library => {
      const handle = identified(library, '42')
      return chatApplication(library)
        .app.handleCommand(handle, 'message', ROOM, JSON.stringify({ action: 'subscribed' }))
        .then(() => outcome(handle).streams, error => error.message)
    }
    assert.deepEqual(await perform(serverless), ['room:2023', 'room:2023:user:42'])
    assert.equal(await perform(ours), 'Unknown action: subscribed')
  })

  test('a method of an intermediate base class, an arrow-function field and an own function are actions', async () => {
    class Base extends Channel {
      async ping(handle) {
        handle.transmit('pong')
      }
    }
    class Room extends Base {
      echo = async (handle, params, data) => handle.transmit(data.text)
    }
    const room = new Room()
    room.shout = async (handle, params, data) => handle.transmit(data.text.toUpperCase())
    for (const [action, payload, expected] of [
      ['ping', {}, 'pong'],
      ['echo', { text: 'hi' }, 'hi'],
      ['shout', { text: 'hi' }, 'HI'],
    ]) {
      const handle = new ChannelHandle(new ConnectionHandle('1', { url: 'http://localhost' }), ROOM, null)
      await room.handleAction(handle, {}, action, payload)
      assert.deepEqual(handle.transmissions, [expected])
    }
  })

  test('getters, non-function members and non-string action names are not actions', async () => {
    class Room extends Channel {
      limit = 10
      get secret() {
        return async () => {}
      }
    }
    const handle = new ChannelHandle(new ConnectionHandle('1', { url: 'http://localhost' }), ROOM, null)
    for (const action of ['limit', 'secret', undefined, 42, ['subscribed']]) {
      await assert.rejects(new Room().handleAction(handle, {}, action, {}), { message: `Unknown action: ${action}` })
    }
  })

  test('an own field cannot re-open a callback as an action', async () => {
    const room = new (class extends Channel {})()
    let ran = false
    room.subscribed = async () => {
      ran = true
    }
    const handle = new ChannelHandle(new ConnectionHandle('1', { url: 'http://localhost' }), ROOM, null)
    await assert.rejects(room.handleAction(handle, {}, 'subscribed', {}), { message: 'Unknown action: subscribed' })
    assert.equal(ran, false)
  })
})

describe('findChannel', () => {
  test('finds a registered channel and the params (the identifier without "channel")', () => {
    const { app } = chatApplication(ours)
    const { channel, params } = app.findChannel('{"channel":"chat","roomId":"1","page":2}')
    assert.ok(channel instanceof Channel)
    assert.deepEqual(params, { roomId: '1', page: 2 })
  })

  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
    test(`never finds an inherited name: ${name}`, () => {
      const { app } = chatApplication(ours)
      assert.throws(() => app.findChannel(JSON.stringify({ channel: name })), { message: `Channel ${name} is not registered` })
    })
  }

  test('by contrast, serverless-js finds Object.prototype.constructor and fails on it', async () => {
    const { app } = chatApplication(serverless)
    assert.equal(app.findChannel('{"channel":"constructor"}').channel, Object)
  })

  test('a non-string channel name is not registered', () => {
    const { app } = chatApplication(ours)
    for (const channel of [null, 1, ['chat'], { chat: true }]) {
      assert.throws(() => app.findChannel(JSON.stringify({ channel })), /is not registered/)
    }
  })
})

describe('bad JSON from the wire is a clear error', () => {
  const { app } = chatApplication(ours)
  const handle = () => identified(ours, '1')

  test('an identifier that is not JSON, or not a JSON object', async () => {
    await assert.rejects(app.handleCommand(handle(), 'subscribe', '{"channel":', null), /the channel identifier is not valid JSON .*: \{"channel":/)
    for (const identifier of ['null', '"chat"', '["chat"]', '42']) {
      await assert.rejects(app.handleCommand(handle(), 'subscribe', identifier, null), { message: `the channel identifier must be a JSON object: ${identifier}` })
    }
    await assert.rejects(app.handleClose(handle(), ['nope']), /the channel identifier is not valid JSON/)
  })

  test('message data that is not JSON, not an object, or missing', async () => {
    await assert.rejects(app.handleCommand(handle(), 'message', ROOM, '{"action"'), /the message data is not valid JSON/)
    await assert.rejects(app.handleCommand(handle(), 'message', ROOM, '[1]'), /the message data must be a JSON object/)
    await assert.rejects(app.handleCommand(handle(), 'message', ROOM, null), { message: 'the message data must be a JSON string, got null' })
  })

  test('saved state (istate) and connection identifiers that are not JSON', async () => {
    const env = { url: 'http://localhost', istate: { [ROOM]: '{broken' } }
    await assert.rejects(app.handleCommand(identified(ours, '1', env), 'subscribe', ROOM, null), /the state \(istate\) of .* is not valid JSON/)
    assert.throws(() => app.decodeIdentifiers('{user'), /the connection identifiers is not valid JSON/)
  })
})

describe('registerChannel', () => {
  test('refuses a class, a plain object and a non-string name with a TypeError', () => {
    const app = new Application()
    class ChatChannel extends Channel {}
    assert.throws(() => app.registerChannel('chat', ChatChannel), { name: 'TypeError', message: 'channel "chat" must be an instance (new ChatChannel()), not a class' })
    assert.throws(() => app.registerChannel('chat', {}), { name: 'TypeError', message: /must be a Channel/ })
    assert.throws(() => app.registerChannel('', new ChatChannel()), TypeError)
    assert.throws(() => app.registerChannel(Symbol('chat'), new ChatChannel()), TypeError)
  })

  test("accepts serverless-js's channels, which then answer as serverless-js does", async () => {
    const app = new Application()
    class Legacy extends serverless.Channel {
      async hello(handle) {
        handle.transmit('hi')
      }
    }
    app.registerChannel('legacy', new Legacy())
    const handle = new ConnectionHandle('1', { url: 'http://localhost' })
    await app.handleCommand(handle, 'message', '{"channel":"legacy"}', '{"action":"hello"}')
    assert.deepEqual(handle.transmissions, ['{"identifier":"{\\"channel\\":\\"legacy\\"}","message":"hi"}'])
  })
})

describe('handles', () => {
  test('ConnectionHandle transmits strings as they are and other values as JSON, and chains', () => {
    const handle = new ConnectionHandle('1', { url: 'http://localhost' })
    assert.equal(handle.transmit('raw').transmit({ a: 1 }).streamFrom('s').stopStreamFrom('t').stopAllStreams().close().reject(), handle)
    assert.deepEqual(outcome(handle), {
      rejected: true,
      closed: true,
      identifiers: null,
      transmissions: ['raw', '{"a":1}'],
      streams: ['s'],
      stoppedStreams: ['t'],
      stopStreams: true,
      envChanges: { cstate: undefined, istate: undefined },
    })
  })

  test("ChannelHandle reads the connection's env and identifiers", () => {
    const env = { url: 'http://localhost', cstate: { a: '1' } }
    const connection = new ConnectionHandle('1', env).identifiedBy({ userId: '9' })
    const channel = connection.buildChannelHandle(ROOM)
    assert.equal(channel.env, env)
    assert.deepEqual(channel.identifiers, { userId: '9' })
    assert.equal(channel.identifier, ROOM)
    assert.equal(channel.state, null)
  })

  test("Status is serverless-js's enum, both ways", () => {
    assert.deepEqual({ ...Status }, { ...serverless.Status })
    assert.equal(Status[Status.FAILURE], 'FAILURE')
  })

  test('CommonJS gets the same classes', () => {
    assert.equal(anycableCjs.Application, Application)
    assert.equal(anycableCjs.Channel, Channel)
  })
})
