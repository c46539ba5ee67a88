'use strict'

/**
 * What a channel callback gets for one subscription: it rejects, streams, transmits and keeps state
 * (`state`, saved as the subscription's `istate` between commands). serverless-js's `ChannelHandle`.
 */
class ChannelHandle {
  /**
   * `delegate` is the connection's handle (its `env` and `identifiers`); `state` is the parsed
   * `istate` of this subscription, or `null`.
   */
  constructor(delegate, identifier, state) {
    this.delegate = delegate
    this.identifier = identifier
    this.state = state
    this.rejected = false
    this.transmissions = []
    this.streams = []
    this.stoppedStreams = []
    this.stopStreams = false
  }

  /** Rejects the subscription (at `subscribe`) or fails the command. */
  reject() {
    this.rejected = true
    return this
  }

  /** Subscribes this subscription to `name`'s broadcasts. */
  streamFrom(name) {
    this.streams.push(name)
    return this
  }

  /** Stops `name`'s broadcasts for this subscription. */
  stopStreamFrom(name) {
    this.stoppedStreams.push(name)
    return this
  }

  /** Stops every stream of this subscription. */
  stopAllStreams() {
    this.stopStreams = true
    return this
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
