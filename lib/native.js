'use strict'

// The native binding (napi's generated loader: a local build first, then the platform package)
// and the one rule for its argument errors.
const { targetOf, missingBindingError } = require('./platform.js')

function loadBinding() {
  try {
    return require('../binding.js')
  } catch (error) {
    throw missingBindingError(targetOf(), error)
  }
}

const native = loadBinding()

/** A native argument error (status InvalidArg) as the TypeError it is; others unchanged. */
function argumentError(error) {
  return error && error.code === 'InvalidArg' ? new TypeError(error.message) : error
}

/** Native argument errors (status InvalidArg) surface as the TypeError they are. */
function nativeCall(call) {
  try {
    return call()
  } catch (error) {
    throw argumentError(error)
  }
}

module.exports = { native, nativeCall, argumentError }
