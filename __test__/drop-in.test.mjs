// The drop-in promise: every value @anycable/serverless-js exports exists here under the same name
// and kind, from ESM and CommonJS (the type names are checked by types/serverless-js-names.ts).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import * as ours from '../index.mjs'
import '../scripts/esm-dir-imports.mjs'

const theirs = await import('@anycable/serverless-js')
// Added after 0.1.0 on serverless-js's main branch (`signer(secret)`).
const UNRELEASED = { signer: 'function' }

test('every serverless-js export is exported here, with the same kind, from ESM and CommonJS', () => {
  const cjs = createRequire(import.meta.url)('../index.js')
  const expected = { ...Object.fromEntries(Object.entries(theirs).map(([name, value]) => [name, typeof value])), ...UNRELEASED }
  delete expected.default
  assert.ok(Object.keys(expected).length >= 12, Object.keys(expected).join(', '))
  for (const [name, kind] of Object.entries(expected)) {
    assert.equal(typeof ours[name], kind, `ESM ${name}`)
    assert.equal(cjs[name], ours[name], `CommonJS ${name}`)
  }
})

test('Status has serverless-js\'s values', () => {
  for (const name of ['ERROR', 'SUCCESS', 'FAILURE']) assert.equal(ours.Status[name], theirs.Status[name], name)
})
