'use strict'

const { Answer } = require('./answer.js')

/**
 * What a channel callback gets for one subscription: it rejects, streams, transmits and keeps state
 * (`state`, saved as the subscription's `istate` between commands). serverless-js's `ChannelHandle`.
 */
class ChannelHandle extends Answer {
  /**
   * `delegate` is the connection's handle (its `env` and `identifiers`); `state` is the parsed
   * `istate` of this subscription, or `null`.
   */
  constructor(delegate, identifier, state) {
    super()
    this.delegate = delegate
    this.identifier = identifier
    this.state = state
  }

  /** Sends `data` (any JSON value) to this client as a message of this subscription. */
  transmit(data) {
    this.transmissions.push(data)
    return this
  }

  /** The connection's env (`url`, `headers`, `cstate`, `istate`). */
  get env() {
    return this.delegate.env
  }

  /** The connection's identifiers, or `null`. */
  get identifiers() {
    return this.delegate.identifiers
  }
}

module.exports = { ChannelHandle }
