'use strict'

// The package entry: re-exports the token helpers and the embedded cable server.
module.exports = {
  ...require('./lib/tokens.js'),
  ...require('./lib/server.js'),
}
