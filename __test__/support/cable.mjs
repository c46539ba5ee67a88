// Real AnyCable JS clients (@anycable/core over `ws`) against a real embedded server.
import WebSocket from 'ws'
import { createCable } from '@anycable/core'
import { createCableServer, generateToken, signStream } from '../../index.mjs'

export const SECRET = 'node-test-secret'

/** A listening server; closed by the test's `after`/`t.after`. */
export async function startServer(t, options = {}) {
  const server = createCableServer({ port: 0, secret: SECRET, ...options })
  const info = await server.listen()
  t.after(() => server.close())
  return { server, ...info }
}

export const token = (identifiers = { user_id: 1 }, ttl = 300) => generateToken(identifiers, { secret: SECRET, ttl })

/**
 * A client, disconnected after the test with its monitor and protocol timers stopped, so the file's
 * process can exit at once. `monitor: false` unless reconnecting is under test.
 */
export function client(t, url, options = {}) {
  const cable = createCable(url, {
    websocketImplementation: WebSocket,
    protocol: 'actioncable-v1-json',
    websocketAuthStrategy: 'sub-protocol',
    monitor: false,
    ...options,
  })
  const timers = protocolTimers(cable.protocol)
  t.after(() => {
    cable.disconnect()
    cable.monitor?.dispose()
    timers.clear()
  })
  return cable
}

/**
 * The timers `protocol` arms from now on, to clear after the test. @anycable/core's Action Cable
 * protocol arms one on every subscribe (a 5 s retry), on a retry (its expiry) and on every
 * unsubscribe (a cooldown), and keeps no handle: each file's process idled ~5 s after its last
 * test waiting for them. Its methods call the global `setTimeout` synchronously, so each one
 * runs with a `setTimeout` that records what it arms.
 */
function protocolTimers(protocol) {
  const armed = new Set()
  const arm = globalThis.setTimeout
  const recording = (...args) => {
    const timer = arm(...args)
    armed.add(timer)
    return timer
  }
  for (const method of ['subscribe', 'maybeExpireSubscribe', 'unsubscribe']) {
    const original = protocol[method]
    protocol[method] = function (...args) {
      globalThis.setTimeout = recording
      try {
        return original.apply(this, args)
      } finally {
        globalThis.setTimeout = arm
      }
    }
  }
  return {
    clear() {
      for (const timer of armed) clearTimeout(timer)
      armed.clear()
    },
  }
}

/** Resolves with the next `event` of `emitter`, or rejects after `ms`. */
export function next(emitter, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unbind()
      reject(new Error(`no ${event} within ${ms} ms`))
    }, ms)
    const unbind = emitter.on(event, value => {
      clearTimeout(timer)
      unbind()
      resolve(value)
    })
  })
}

/** Collects every `message` of a channel. */
export function collect(channel) {
  const messages = []
  channel.on('message', message => messages.push(message))
  return messages
}

/** A client subscribed to the signed `stream`; resolves with the messages it will collect. */
export async function subscriber(t, url, stream) {
  const cable = client(t, url, { auth: { token: token() } })
  const channel = cable.streamFromSigned(signStream(stream, SECRET))
  const messages = collect(channel)
  await channel.ensureSubscribed()
  return messages
}

/** Polls `condition` until true, or fails after `ms`. */
export async function until(condition, ms = 5000, what = 'condition') {
  const deadline = Date.now() + ms
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

export const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
