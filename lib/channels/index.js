'use strict'

// Channels and AnyCable RPC: serverless-js's API (Application, Channel, handles, HTTP handlers).
module.exports = {
  ...require('./status.js'),
  ...require('./connection-handle.js'),
  ...require('./channel-handle.js'),
  ...require('./channel.js'),
  ...require('./application.js'),
  ...require('./http-handlers.js'),
}
