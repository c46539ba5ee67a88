'use strict'

// The package entry: re-exports the token helpers, HTTP broadcasting and the embedded cable server.
module.exports = {
  ...require('./lib/tokens.js'),
  ...require('./lib/broadcaster.js'),
  ...require('./lib/server.js'),
}
