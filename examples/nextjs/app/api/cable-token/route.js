// A Next.js App Router route handler (app/api/cable-token/route.js) that gives the signed-in user
// an AnyCable token and the signed name of the stream they may read. Tokens are made
// synchronously in ~1 µs, so there is nothing to cache. ANYCABLE_SECRET is the server's secret.
import { identificator, signStream } from 'anycable-rs'

const secret = process.env.ANYCABLE_SECRET
const tokens = identificator(secret, '15m')

export async function GET(request) {
  // Your session lookup goes here; this example takes the user from a query parameter.
  const { searchParams } = new URL(request.url)
  const userId = searchParams.get('user')
  const room = searchParams.get('room') ?? 'lobby'
  if (!userId) return Response.json({ error: 'sign in first' }, { status: 401 })
  return Response.json({
    token: tokens.generateTokenSync({ user_id: userId }),
    stream: signStream(`chat/${room}`, secret),
  })
}
