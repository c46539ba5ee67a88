// createCableServer options: every numeric option held to its documented range, in JS and in the
// native layer behind it, with a TypeError naming the option; option names looked up as own names.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { createCableServer } from '../index.mjs'
import { client, token, SECRET } from './support/cable.mjs'

const require = createRequire(import.meta.url)
const { NativeCableServer } = require('../binding.js')

/** Out-of-range values for each numeric option; each must be a TypeError naming the option. */
const OUT_OF_RANGE = {
  port: [-1, 65536, 1.5, NaN],
  pingInterval: [0, 0.001, 3601, 1e18, 1e19, 1e20, 1e300, NaN, Infinity, -1],
  rpcTimeout: [0, 0.001, 3601, 1e18, 1e19, 1e20, NaN, Infinity],
  maxMessageSize: [0, 1.5, 2 ** 32, 1e20],
  rpcConcurrency: [0, -1, 1.5, 2 ** 32, Infinity],
}

test('numeric options out of range are TypeErrors naming the option and its range', () => {
  for (const [name, values] of Object.entries(OUT_OF_RANGE)) {
    for (const value of values) {
      assert.throws(
        () => createCableServer({ secret: SECRET, [name]: value }),
        error => error instanceof TypeError && error.message.includes(`"${name}"`) && /from \d/.test(error.message),
        `${name}: ${value}`,
      )
    }
  }
})

test('the native layer refuses seconds out of range itself, never panicking', () => {
  for (const [name, values] of Object.entries({ pingInterval: OUT_OF_RANGE.pingInterval, rpcTimeout: OUT_OF_RANGE.rpcTimeout })) {
    for (const value of values) {
      assert.throws(
        () => new NativeCableServer({ [name]: value }),
        error => error.code === 'InvalidArg' && error.message.startsWith(`${name} must be a number of seconds from 0.01 to 3600`),
        `${name}: ${value}`,
      )
    }
  }
  assert.throws(() => new NativeCableServer({ rpcConcurrency: 0 }), /rpcConcurrency must be an integer from 1/)
})

test('the limits of each range are accepted and serve clients', async t => {
  const server = createCableServer({
    port: 0,
    secret: SECRET,
    pingInterval: 3600,
    rpcTimeout: 3600,
    maxMessageSize: 2 ** 32 - 1,
    rpcConcurrency: 2 ** 32 - 1,
  })
  const { url } = await server.listen()
  t.after(() => server.close())
  const cable = client(t, url, { auth: { token: token() } })
  await cable.connect()
  assert.equal(cable.state, 'connected')
  assert.ok(createCableServer({ pingInterval: 0.01, rpcTimeout: 0.01, port: 65535 }))
})

test('option names are own names: __proto__ and constructor are unknown options', () => {
  for (const options of [JSON.parse('{"__proto__": {"port": 1}}'), { constructor: 1 }, { toString: 'x' }]) {
    const [name] = Object.keys(options)
    assert.throws(
      () => createCableServer(options),
      error => error instanceof TypeError && error.message === `unknown createCableServer option "${name}"`,
      name,
    )
  }
})
