'use strict'

// HTTP broadcasting for the native build: the Edge build's broadcaster (lib/edge/broadcaster.mjs,
// required as an ES module; it needs nothing Node-specific) and a signer over the native signStream.

const { broadcaster } = require('./edge/broadcaster.mjs')
const { requireSecret } = require('./edge/arguments.mjs')
const { signStream } = require('./tokens.js')

/** `(stream) => signed`: `signStream(stream, secret)` with the secret checked once, up front. */
function signer(secret) {
  requireSecret(secret)
  return stream => signStream(stream, secret)
}

module.exports = { broadcaster, signer }
