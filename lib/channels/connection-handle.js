'use strict'

const { Answer } = require('./answer.js')
const { ChannelHandle } = require('./channel-handle.js')
const { parseJson } = require('./json.js')

/**
 * One RPC call's view of a connection: who it is (`identifiers`), what it asked with (`env`), and
 * what the answer collects (transmissions, streams, rejection, close). serverless-js's
 * `ConnectionHandle`.
 */
class ConnectionHandle extends Answer {
  /** `id` is the session id (`sid`); `env` the request's env (`url`, `headers`, `cstate`, `istate`). */
  constructor(id, env) {
    super()
    this.id = id
    this.env = env
    this.closed = false
    this.identifiers = null
  }

  /** Sends `data` to the client as a raw frame: a string as is, anything else as its JSON. */
  transmit(data) {
    this.transmissions.push(typeof data === 'string' ? data : JSON.stringify(data))
    return this
  }

  /** Closes the connection after this command. */
  close() {
    this.closed = true
    return this
  }

  /** Sets the connection's identifiers (kept by the server and sent back with every later call). */
  identifiedBy(identifiers) {
    this.identifiers = identifiers
    return this
  }

  /** The handle for the subscription `identifier`, with its saved state (`env.istate[identifier]`). */
  buildChannelHandle(identifier) {
    const saved = this.env.istate && Object.hasOwn(this.env.istate, identifier) ? this.env.istate[identifier] : null
    const state = saved ? parseJson(saved, `the state (istate) of ${identifier}`) : null
    return new ChannelHandle(this, identifier, state)
  }

  /**
   * Takes a subscription's results into this connection's answer: its rejection, its transmissions
   * wrapped as `{ identifier, message }`, its state (as serverless-js 0.1.0 keeps it: the JSON of the
   * whole state under the identifier, which the server sends back with the next command) and streams.
   */
  mergeChannelHandle(handle) {
    if (handle.rejected) this.reject()
    for (const message of handle.transmissions) this.transmit({ identifier: handle.identifier, message })
    if (handle.state) {
      this.env.istate = this.env.istate || {}
      this.env.istate[handle.identifier] = JSON.stringify(handle.state)
    }
    this.streams = this.streams.concat(handle.streams)
    this.stoppedStreams = this.stoppedStreams.concat(handle.stoppedStreams)
    this.stopStreams = this.stopStreams || handle.stopStreams
    return this
  }

  /** The `env` part of the answer: connection state (`cstate`) and channel state (`istate`). */
  get envChanges() {
    return { cstate: this.env.cstate, istate: this.env.istate }
  }
}

module.exports = { ConnectionHandle }
