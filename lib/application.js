'use strict'

// Runs an unchanged @anycable/serverless-js Application in this process: the native server sends
// AnyCable RPC requests (JSON) here, and they are answered exactly as serverless-js's own HTTP
// handlers (connectHandler / commandHandler / disconnectHandler) answer them, without the HTTP hop.

const Status = { ERROR: 0, SUCCESS: 1, FAILURE: 2 }

const APPLICATION_METHODS = ['buildHandle', 'handleOpen', 'handleCommand', 'handleClose', 'encodeIdentifiers', 'decodeIdentifiers']

/** Whether `value` looks like a serverless-js Application (duck-typed). */
function isApplication(value) {
  return value !== null && typeof value === 'object' && APPLICATION_METHODS.every(name => typeof value[name] === 'function')
}

function identify(app, handle, encoded) {
  // A connection the application accepted without identifiers has none to decode.
  if (encoded) handle.identifiedBy(app.decodeIdentifiers(encoded))
}

const handlers = {
  async connect(app, sid, request) {
    const handle = app.buildHandle(sid, request.env)
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
    const handle = app.buildHandle(sid, request.env)
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
    const handle = app.buildHandle(sid, request.env)
    identify(app, handle, request.identifiers)
    await app.handleClose(handle, request.subscriptions)
    return { status: Status.SUCCESS, error_msg: '' }
  },
}

/**
 * `dispatch(method, sid, requestJson) => Promise<responseJson>` for the native server. It never
 * rejects: an application error becomes status ERROR (the client gets a reject or unauthorized).
 */
function createDispatch(app) {
  return async (method, sid, requestJson) => {
    try {
      return JSON.stringify(await handlers[method](app, sid, JSON.parse(requestJson)))
    } catch (error) {
      return JSON.stringify({ status: Status.ERROR, error_msg: String(error?.stack ?? error) })
    }
  }
}

module.exports = { isApplication, createDispatch }
