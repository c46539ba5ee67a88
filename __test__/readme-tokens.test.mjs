// The README's "nothing is logged" for the token API: every call, good or bad, prints nothing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const INDEX = fileURLToPath(new URL('../index.js', import.meta.url))

test('minting and verifying tokens, valid or not, writes nothing to stdout or stderr', () => {
  const script = `
    const { identificator, generateToken, verifyToken, TokenError } = require(${JSON.stringify(INDEX)})
    const secret = 'token-secret-never-printed'
    const jwt = identificator(secret, '1h')
    const good = jwt.generateTokenSync({ user_id: 42 })
    const expired = generateToken({ user_id: 42 }, { secret, expiresAt: 1 })
    const forged = generateToken({ user_id: 42 }, { secret: 'other' })
    const attempts = [good, expired, forged, 'garbage', good.slice(0, -2), 'a.b.c', good + good]
    for (const token of attempts) {
      try { jwt.verifyTokenSync(token) } catch (error) { if (!(error instanceof TokenError)) throw error }
      try { verifyToken(token, { secret }) } catch (error) { if (!(error instanceof TokenError)) throw error }
    }
    Promise.all(attempts.map(token => jwt.verifyToken(token))).then(results => {
      if (results[0]?.user_id !== 42 || results.slice(1).some(result => result !== null)) process.exit(3)
    })`
  const { status, stdout, stderr } = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' })
  assert.equal(status, 0, stderr)
  assert.equal(stdout, '')
  assert.equal(stderr, '')
})
