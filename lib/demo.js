'use strict'

// Demo mode (`anycable-rs --demo`): a chat page at `/` using the real @anycable/web client, in
// front of a cable server. The page asks /demo/session for a token and a signed stream name,
// connects with the sub-protocol strategy, and posts messages to /demo/messages, which are
// broadcast to the stream. The page speaks the extended protocol: it shows who is online (presence)
// and, after a reconnect, gets what it missed (history). WebSocket upgrades on /cable are piped to
// the cable server, so the page and the cable share one origin. None of these endpoints exist outside demo mode.
const http = require('node:http')
const net = require('node:net')
const fs = require('node:fs')
const path = require('node:path')
const { identificator, signStream } = require('./tokens.js')

const STREAM = 'demo-chat'
const PAGE = path.join(__dirname, 'demo', 'index.html')
/** The browser's modules, served from node_modules through the page's import map. */
const MODULES = ['@anycable/web', '@anycable/core', 'nanoevents']
const MAX_BODY = 4096

function moduleDirs() {
  const dirs = new Map()
  for (const name of MODULES) {
    try {
      dirs.set(name, path.dirname(require.resolve(`${name}/package.json`)))
    } catch {
      throw new Error(`the demo needs ${name} in node_modules: run \`npm install\` in the anycable-rs checkout`)
    }
  }
  return dirs
}

function send(response, status, type, body) {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' })
  response.end(body)
}

const json = (response, status, value) => send(response, status, 'application/json', JSON.stringify(value))

/** A file under one of the served packages, or null for anything outside them. */
function moduleFile(dirs, urlPath) {
  const rest = decodeURIComponent(urlPath.slice('/modules/'.length))
  const name = MODULES.find(candidate => rest.startsWith(`${candidate}/`))
  if (!name || !rest.endsWith('.js')) return null
  const root = dirs.get(name)
  const file = path.resolve(root, rest.slice(name.length + 1))
  return file.startsWith(root + path.sep) ? file : null
}

function readBody(request) {
  return new Promise((resolve, reject) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', chunk => {
      body += chunk
      if (body.length > MAX_BODY) reject(new RangeError('body too large'))
    })
    request.on('end', () => resolve(body))
    request.on('error', reject)
  })
}

/** The fields of a JSON object body; SyntaxError (a 400) if it is not JSON. */
function fields(body) {
  const value = JSON.parse(body || '{}')
  return typeof value === 'object' && value !== null ? value : {}
}

/** A trimmed, bounded string field, or '' when absent or not a string. */
const text = (value, max) => (typeof value === 'string' ? value.trim().slice(0, max) : '')

/**
 * Serves the demo on `port`/`host`, in front of `cable` (a listening CableServer on
 * `cablePort`, loopback). Resolves `{ url, close() }`.
 */
async function startDemo({ cable, cablePort, secret, port, host = '127.0.0.1' }) {
  const dirs = moduleDirs()
  const tokens = identificator(secret, '1h')
  const signedStream = signStream(STREAM, secret)

  const server = http.createServer(async (request, response) => {
    try {
      const { pathname } = new URL(request.url, 'http://demo')
      if (request.method === 'GET' && pathname === '/') {
        return send(response, 200, 'text/html; charset=utf-8', fs.readFileSync(PAGE))
      }
      if (request.method === 'GET' && pathname.startsWith('/modules/')) {
        const file = moduleFile(dirs, pathname)
        if (!file || !fs.existsSync(file)) return send(response, 404, 'text/plain', 'Not found')
        return send(response, 200, 'text/javascript; charset=utf-8', fs.readFileSync(file))
      }
      if (request.method === 'POST' && pathname === '/demo/session') {
        const name = text(fields(await readBody(request)).name, 40)
        if (!name) return json(response, 422, { error: 'a name is required' })
        return json(response, 200, { token: tokens.generateTokenSync({ name }), stream: signedStream })
      }
      if (request.method === 'POST' && pathname === '/demo/messages') {
        const body = fields(await readBody(request))
        const message = { name: text(body.name, 40), text: text(body.text, 500) }
        if (!message.name || !message.text) return json(response, 422, { error: 'name and text are required' })
        cable.broadcast(STREAM, message)
        return json(response, 201, { ok: true })
      }
      send(response, 404, 'text/plain', 'Not found')
    } catch (error) {
      // A body that is not JSON, too large, or a URL that does not parse.
      const status = error instanceof SyntaxError || error instanceof RangeError || error instanceof TypeError ? 400 : 500
      send(response, status, 'text/plain', status === 400 ? 'Bad request' : 'Internal error')
    }
  })

  // WebSocket upgrades on /cable go to the cable server as they are.
  server.on('upgrade', (request, socket, head) => {
    if (!URL.canParse(request.url, 'http://demo') || new URL(request.url, 'http://demo').pathname !== '/cable') {
      return socket.destroy()
    }
    const upstream = net.connect(cablePort, '127.0.0.1', () => {
      const lines = [`${request.method} ${request.url} HTTP/${request.httpVersion}`]
      for (let i = 0; i < request.rawHeaders.length; i += 2) lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`)
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`)
      if (head.length) upstream.write(head)
      socket.pipe(upstream).pipe(socket)
    })
    const end = () => {
      socket.destroy()
      upstream.destroy()
    }
    upstream.on('error', end)
    socket.on('error', end)
    socket.on('close', end)
    upstream.on('close', end)
  })

  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, resolve)
  })
  const address = server.address()
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `http://${shownHost}:${address.port}/`,
    port: address.port,
    close: () =>
      new Promise(resolve => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

module.exports = { startDemo, STREAM }
