// POST /api/anycable/connect|command|disconnect: the AnyCable server (started with
// --rpc_host=http://localhost:3000/api/anycable) asks this app's channels what to do.
import { handler, verifyRpcRequest } from 'anycable-rs'
import { app, secret } from '@/lib/cable'

export async function POST(request) {
  // Only a server that knows the secret may call (it sends a key derived from it).
  if (!verifyRpcRequest(request, secret)) return new Response(null, { status: 401 })
  return Response.json(await handler(request, app))
}
