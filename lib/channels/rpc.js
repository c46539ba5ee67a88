'use strict'

// The AnyCable RPC methods, answered by an Application: one implementation behind both the HTTP
// handlers (a Next.js route) and the native server's in-process dispatch. Works with this
// package's Application and with serverless-js's own (duck-typed).

const { Status } = require('./status.js')
const { parseJsonObject } = require('./json.js')

const APPLICATION_METHODS = ['buildHandle', 'handleOpen', 'handleCommand', 'handleClose', 'encodeIdentifiers', 'decodeIdentifiers']

/** Whether `value` looks like an Application (this package's or serverless-js's; duck-typed). */
function isApplication(value) {
  return value !== null && typeof value === 'object' && APPLICATION_METHODS.every(name => typeof value[name] === 'function')
}

function identify(app, handle, encoded) {
  // A connection accepted without identifiers has none to decode ('' on the wire); serverless-js
  // would fail every later command of it on JSON.parse('').
  if (encoded) handle.identifiedBy(app.decodeIdentifiers(encoded))
}

/** The handle for one call; `request` is a parsed JSON object. */
function handleFor(app, sid, request) {
  return app.buildHandle(sid, request.env ?? {})
}

/** RPC method name -> `(app, sid, request) => Promise<response>`, with AnyCable's JSON shapes. */
const rpcMethods = {
  async connect(app, sid, request) {
    const handle = handleFor(app, sid, request)
    await app.handleOpen(handle)
    return {
      status: handle.rejected ? Status.FAILURE : Status.SUCCESS,
      identifiers: handle.identifiers ? app.encodeIdentifiers(handle.identifiers) : '',
      transmissions: handle.transmissions,
      error_msg: handle.rejected ? 'Auth failed' : '',
      env: handle.envChanges,
    }
  },

  async command(app, sid, request) {
    const handle = handleFor(app, sid, request)
    identify(app, handle, request.connection_identifiers)
    await app.handleCommand(handle, request.command, request.identifier, request.data)
    return {
      status: handle.rejected ? Status.FAILURE : Status.SUCCESS,
      disconnect: handle.closed,
      stop_streams: handle.stopStreams,
      transmissions: handle.transmissions,
      streams: handle.streams,
      stopped_streams: handle.stoppedStreams,
      env: handle.envChanges,
      error_msg: '',
    }
  },

  async disconnect(app, sid, request) {
    const handle = handleFor(app, sid, request)
    identify(app, handle, request.identifiers)
    await app.handleClose(handle, request.subscriptions)
    return { status: Status.SUCCESS, error_msg: '' }
  },
}

/** Answers RPC `method` (`connect`, `command` or `disconnect`); an Error naming any other method. */
function answer(app, method, sid, request) {
  if (!Object.hasOwn(rpcMethods, method)) throw new Error(`Unknown RPC method: ${method}`)
  return rpcMethods[method](app, sid, request)
}

/**
 * `dispatch(method, sid, requestJson) => Promise<responseJson>` for the native server. It never
 * rejects: an application error becomes status ERROR (the client gets a reject or unauthorized,
 * and the server logs `error_msg`).
 */
function createDispatch(app) {
  return async (method, sid, requestJson) => {
    try {
      return JSON.stringify(await answer(app, method, sid, parseJsonObject(requestJson, 'the RPC request')))
    } catch (error) {
      return JSON.stringify({ status: Status.ERROR, error_msg: String(error?.stack ?? error) })
    }
  }
}

module.exports = { isApplication, answer, createDispatch }
