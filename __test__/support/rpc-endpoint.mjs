// serverless-js's own `handler` behind node:http, as a Next.js route would serve it: what
// `rpcHost` calls in the tests.
import http from 'node:http'
import { Readable } from 'node:stream'
import { handler } from './serverless-js.mjs'

/** Serves `app` at `url`; records each request's path, sid and authorization in `requests`.
 * With `fail`, every call gets HTTP 500. Errors thrown by the app are answered the way
 * serverless-js's README route handlers answer them. */
export async function rpcEndpoint(app, { fail = false } = {}) {
  const requests = []
  const server = http.createServer(async (req, res) => {
    requests.push({ path: req.url, sid: req.headers['x-anycable-meta-sid'], authorization: req.headers.authorization })
    if (fail) {
      res.writeHead(500).end('boom')
      return
    }
    const request = new Request(`http://127.0.0.1${req.url}`, {
      method: req.method,
      headers: req.headers,
      body: Readable.toWeb(req),
      duplex: 'half',
    })
    let result
    try {
      result = await handler(request, app)
    } catch (error) {
      result = { status: 0, error_msg: error.message }
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result))
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  const close = () => {
    server.close()
    server.closeAllConnections()
  }
  return { url: `http://127.0.0.1:${server.address().port}/api/anycable`, close, requests }
}
