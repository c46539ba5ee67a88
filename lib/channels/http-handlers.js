'use strict'

// serverless-js's HTTP handlers: each takes a WHATWG Request from an AnyCable server (a Next.js
// route handler's argument) and resolves the response object for `Response.json(...)`.

const { timingSafeEqual } = require('node:crypto')
const { rpcKey } = require('../tokens.js')
const { answer, isApplication } = require('./rpc.js')
const { parseJsonObject } = require('./json.js')

/** The parsed JSON body, the session id (`x-anycable-meta-sid`, or null) of an RPC request. */
async function readRequest(request) {
  if (request === null || typeof request !== 'object' || typeof request.text !== 'function' || typeof request.headers?.get !== 'function') {
    throw new TypeError('expected a WHATWG Request (what a Next.js route handler receives)')
  }
  return { sid: request.headers.get('x-anycable-meta-sid'), body: parseJsonObject(await request.text(), 'the RPC request body') }
}

const methodHandler = method => async (request, app) => {
  if (!isApplication(app)) throw new TypeError('app must be an Application (this package\'s or serverless-js\'s)')
  const { sid, body } = await readRequest(request)
  return answer(app, method, sid, body)
}

/** Answers `POST …/connect`. */
const connectHandler = methodHandler('connect')
/** Answers `POST …/command`. */
const commandHandler = methodHandler('command')
/** Answers `POST …/disconnect`. */
const disconnectHandler = methodHandler('disconnect')

const HANDLERS = { connect: connectHandler, command: commandHandler, disconnect: disconnectHandler }

/**
 * Answers any of the three RPC calls, chosen by the last segment of the request's path; an Error
 * `Unknown RPC method: <segment>` for any other path.
 */
async function handler(request, app) {
  if (typeof request?.url !== 'string') throw new TypeError('expected a WHATWG Request (what a Next.js route handler receives)')
  const method = new URL(request.url).pathname.split('/').pop()
  if (!Object.hasOwn(HANDLERS, method)) throw new Error(`Unknown RPC method: ${method}`)
  return HANDLERS[method](request, app)
}

/**
 * Whether `request` carries the key an AnyCable server configured with `secret` sends:
 * `Authorization: Bearer hex(HMAC_SHA256(secret, "rpc-cable"))` (compared in constant time).
 */
function verifyRpcRequest(request, secret) {
  const expected = Buffer.from(`Bearer ${rpcKey(secret)}`)
  const presented = Buffer.from(request?.headers?.get?.('authorization') ?? '')
  return presented.length === expected.length && timingSafeEqual(presented, expected)
}

module.exports = { handler, connectHandler, commandHandler, disconnectHandler, verifyRpcRequest }
