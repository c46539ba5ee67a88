'use strict'

// The package entry: re-exports the token helpers, HTTP broadcasting, the embedded cable server,
// and channels with their AnyCable RPC handlers.
module.exports = {
  ...require('./lib/tokens.js'),
  ...require('./lib/broadcaster.js'),
  ...require('./lib/server.js'),
  ...require('./lib/channels/index.js'),
}
