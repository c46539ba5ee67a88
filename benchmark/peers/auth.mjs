// What both Node peers check, written the way a Node developer would: the HTTP broadcast key and
// signed stream names (Rails MessageVerifier), with node:crypto.
import { createHmac, timingSafeEqual } from 'node:crypto'

const equal = (a, b) => a.length === b.length && timingSafeEqual(a, b)

export function peerAuth(secret) {
  const key = Buffer.from(createHmac('sha256', secret).update('broadcast-cable').digest('hex'))
  return {
    /** Whether a request carries `Authorization: Bearer <broadcast key>`. */
    broadcastAllowed(req) {
      return equal(Buffer.from((req.headers.authorization ?? '').replace(/^Bearer /, '')), key)
    },
    /** The stream inside a signed name, or null. */
    verifyStream(signed) {
      const at = signed.lastIndexOf('--')
      if (at < 0) return null
      const [data, digest] = [signed.slice(0, at), signed.slice(at + 2)]
      const expected = createHmac('sha256', secret).update(data).digest('hex')
      if (!equal(Buffer.from(digest), Buffer.from(expected))) return null
      return JSON.parse(Buffer.from(data, 'base64').toString())
    },
  }
}
