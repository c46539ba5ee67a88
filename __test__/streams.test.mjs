import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { signStream, verifyStream, broadcastKey } from '../index.mjs'

const SECRET = 'streams-secret'

/** Rails MessageVerifier (SHA256, JSON), written independently with node:crypto. */
function railsSign(name, secret, alphabet = 'base64') {
  const encoded = Buffer.from(JSON.stringify(name)).toString(alphabet)
  return `${encoded}--${createHmac('sha256', secret).update(encoded).digest('hex')}`
}

test('signStream produces the Rails MessageVerifier format', () => {
  for (const name of ['chat/42', '', 'ünïcødé ✓', 'a--b', 'x'.repeat(1000)]) {
    assert.equal(signStream(name, SECRET), railsSign(name, SECRET))
    assert.equal(verifyStream(signStream(name, SECRET), SECRET), name)
  }
})

test('verifyStream accepts names signed with the URL-safe alphabet (Ruby SDKs)', () => {
  const name = 'stream??>>~~'
  const urlSafe = railsSign(name, SECRET, 'base64url')
  assert.notEqual(urlSafe, railsSign(name, SECRET))
  assert.equal(verifyStream(urlSafe, SECRET), name)
})

test('verifyStream returns null for forged, unsigned or foreign names', () => {
  const signed = signStream('chat/42', SECRET)
  assert.equal(verifyStream(signed, 'other-secret'), null)
  assert.equal(verifyStream('chat/42', SECRET), null)
  assert.equal(verifyStream(signed.replace(/.$/, c => (c === '0' ? '1' : '0')), SECRET), null)
  assert.equal(verifyStream(railsSign(42, SECRET), SECRET), null, 'signed value is not a string')
  assert.equal(verifyStream('', SECRET), null)
})

test('broadcastKey is hex(HMAC_SHA256(secret, "broadcast-cable"))', () => {
  assert.equal(broadcastKey(SECRET), createHmac('sha256', SECRET).update('broadcast-cable').digest('hex'))
})

test('an empty or non-string secret, or a non-string name, is a TypeError', () => {
  for (const secret of ['', undefined, 42]) {
    assert.throws(() => signStream('a', secret), TypeError)
    assert.throws(() => verifyStream('a', secret), TypeError)
    assert.throws(() => broadcastKey(secret), TypeError)
  }
  assert.throws(() => signStream(42, SECRET), TypeError)
  assert.throws(() => verifyStream(null, SECRET), TypeError)
})
