// GET /api/cable-verify with `Authorization: Bearer <token>`: who the token names, checked on the
// Edge runtime, where `anycable-rs` resolves to its pure-JS build (WebCrypto, no native addon).
import { identificator } from 'anycable-rs'

export const runtime = 'edge'

const tokens = identificator(process.env.ANYCABLE_SECRET, '1h')

export async function GET(request) {
  const token = request.headers.get('authorization')?.replace(/^Bearer /, '') ?? ''
  try {
    return Response.json({ identifiers: await tokens.verifyAndFetch(token), runtime: typeof EdgeRuntime === 'string' ? 'edge' : 'node' })
  } catch (error) {
    // A TokenError: `reason` is what the cable server would tell the client, `code` is jose's.
    return Response.json({ error: error.reason, code: error.code }, { status: 401 })
  }
}
