// Next 16's proxy (Next 15's middleware.js, which exported `middleware` and ran on the Edge
// runtime; the same code works there through anycable-rs's Edge build): /account only for a
// valid cable token in the `cable_token` cookie that /api/cable-token sets.
import { identificator } from 'anycable-rs'

const jwt = identificator(process.env.ANYCABLE_SECRET, '1h')

export async function proxy(request) {
  const identifiers = await jwt.verifyAndFetch(request.cookies.get('cable_token')?.value ?? '').catch(() => null)
  if (identifiers === null) return new Response('unauthorized', { status: 401 })
}

export const config = { matcher: '/account/:path*' }
