'use strict'

/**
 * AnyCable RPC answer status, as serverless-js's TypeScript enum: `Status.SUCCESS === 1` and
 * `Status[1] === 'SUCCESS'`.
 */
const Status = Object.freeze({
  ERROR: 0,
  SUCCESS: 1,
  FAILURE: 2,
  0: 'ERROR',
  1: 'SUCCESS',
  2: 'FAILURE',
})

module.exports = { Status }
