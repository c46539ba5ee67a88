'use strict'

/**
 * What a handle collects for the RPC answer, common to the connection's and a subscription's
 * handle: a rejection, transmissions, and the streams to start and stop.
 */
class Answer {
  constructor() {
    this.rejected = false
    this.transmissions = []
    this.streams = []
    this.stoppedStreams = []
    this.stopStreams = false
  }

  /** Rejects (a subscription at `subscribe`, a connection at `connect`) or fails the command. */
  reject() {
    this.rejected = true
    return this
  }

  /** Subscribes to `name`'s broadcasts. */
  streamFrom(name) {
    this.streams.push(name)
    return this
  }

  /** Stops `name`'s broadcasts. */
  stopStreamFrom(name) {
    this.stoppedStreams.push(name)
    return this
  }

  /** Stops every stream (of this subscription, or of the connection). */
  stopAllStreams() {
    this.stopStreams = true
    return this
  }
}

module.exports = { Answer }
