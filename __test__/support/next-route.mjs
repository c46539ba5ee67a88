// A Next.js route handler behind node:http: each request becomes a WHATWG Request, and the
// Response the route returns is written back, as Next.js does. A route that throws gets a 500.
import http from 'node:http'
import { Readable } from 'node:stream'

/**
 * Serves `POST` (a route's exported handler) at `<url>/<method>`; records each request's path,
 * session id and authorization.
 */
export async function serveRoute(POST) {
  const requests = []
  const server = http.createServer(async (req, res) => {
    requests.push({ path: req.url, sid: req.headers['x-anycable-meta-sid'], authorization: req.headers.authorization })
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method,
      headers: req.headers,
      body: Readable.toWeb(req),
      duplex: 'half',
    })
    let response
    try {
      response = await POST(request)
    } catch (error) {
      response = new Response(error.message, { status: 500 })
    }
    res.writeHead(response.status, Object.fromEntries(response.headers)).end(Buffer.from(await response.arrayBuffer()))
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  const close = () => {
    server.close()
    server.closeAllConnections()
  }
  return { url: `http://127.0.0.1:${server.address().port}/api/anycable`, requests, close }
}
