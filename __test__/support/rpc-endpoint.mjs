// serverless-js's own `handler` in a Next.js-style route: what `rpcHost` calls in the tests.
import { handler } from './serverless-js.mjs'
import { serveRoute } from './next-route.mjs'

/**
 * Serves `app`; `requests` records each request's path, sid and authorization. With `fail`, every
 * call gets HTTP 500. Errors thrown by the app are answered the way serverless-js's README route
 * handlers answer them.
 */
export function rpcEndpoint(app, { fail = false } = {}) {
  return serveRoute(async request => {
    if (fail) return new Response('boom', { status: 500 })
    try {
      return Response.json(await handler(request, app))
    } catch (error) {
      return Response.json({ status: 0, error_msg: error.message })
    }
  })
}
