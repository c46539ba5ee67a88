// GET /api/cable-token?user=42&room=lobby: an AnyCable token for the signed-in user and the signed
// name of a stream they may read; the token is also this example's session cookie (see proxy.js).
// Node runtime: tokens come from the native addon, synchronously in ~1 µs, so there is nothing to
// cache.
import { signStream } from 'anycable-rs'
import { cableUrl, secret, tokens } from '@/lib/cable'

export async function GET(request) {
  // Your session lookup goes here; this example takes the user from a query parameter.
  const { searchParams } = new URL(request.url)
  const userId = searchParams.get('user')
  const room = searchParams.get('room') ?? 'lobby'
  if (!userId) return Response.json({ error: 'sign in first' }, { status: 401 })
  const token = tokens.generateTokenSync({ user_id: userId })
  const response = Response.json({ url: cableUrl, token, stream: signStream(`notices/${room}`, secret) })
  response.headers.append('set-cookie', `cable_token=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600`)
  return response
}
