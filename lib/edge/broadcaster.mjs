// HTTP broadcasting to an AnyCable server, as `@anycable/serverless-js`'s `broadcaster` does it,
// plus an opt-in batch mode; for both builds (lib/broadcaster.js requires this module). Requests
// go through the global `fetch`: Edge runtimes have it, and on Node its undici pool keeps
// connections alive between broadcasts (the response body is always read so the socket is reused).

/** `url` as given (serverless-js posts to it unchanged), once it is known to be absolute. */
function requireUrl(url) {
  try {
    new URL(url)
    return url
  } catch {
    throw new TypeError(`broadcast url must be an absolute URL, got ${JSON.stringify(String(url))}`)
  }
}

function broadcasterOptions(options) {
  if (options === undefined) return { batch: false }
  if (options === null || typeof options !== 'object') throw new TypeError('broadcaster options must be an object')
  for (const name of Object.keys(options)) {
    if (name !== 'batch') throw new TypeError(`unknown broadcaster option "${name}"`)
  }
  if (options.batch !== undefined && typeof options.batch !== 'boolean') {
    throw new TypeError('broadcaster option "batch" must be a boolean')
  }
  return { batch: options.batch === true }
}

/** The publication serverless-js posts: `data` JSON-encoded, `meta` only when given. */
function publication(stream, data, meta) {
  if (typeof stream !== 'string') throw new TypeError('broadcast stream must be a string')
  if (meta !== undefined && (meta === null || typeof meta !== 'object' || Array.isArray(meta))) {
    throw new TypeError('broadcast meta must be an object')
  }
  let encoded
  try {
    encoded = JSON.stringify(data)
  } catch (error) {
    throw new TypeError(`broadcast data must be JSON-serializable: ${error.message}`)
  }
  if (encoded === undefined) throw new TypeError('broadcast data must be a JSON value, got undefined')
  return meta === undefined ? { stream, data: encoded } : { stream, data: encoded, meta }
}

/** The error a caller gets when the server answers with a non-2xx status. */
function broadcastError(stream, response) {
  const error = new Error(`Error broadcasting to ${stream}: ${response.status} ${response.statusText}`.trimEnd())
  error.status = response.status
  return error
}

/**
 * `(stream, data, meta?) => Promise<void>` posting to `url` with `Authorization: Bearer <key>`
 * (no header without a key). With `{ batch: true }`, broadcasts made in the same tick (before
 * the microtask queue drains) go out as one request whose body is a JSON array.
 */
export function broadcaster(url, key, options) {
  const endpoint = requireUrl(url)
  if (key !== undefined && key !== null && typeof key !== 'string') {
    throw new TypeError('broadcast key must be a string')
  }
  const { batch } = broadcasterOptions(options)
  const headers = { 'Content-Type': 'application/json' }
  if (key) headers.Authorization = `Bearer ${key}`

  const post = async body => {
    const response = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify(body) })
    await response.arrayBuffer()
    return response
  }

  if (!batch) {
    return async (stream, data, meta) => {
      const response = await post(publication(stream, data, meta))
      if (!response.ok) throw broadcastError(stream, response)
    }
  }

  let pending = null
  const flush = async () => {
    const queued = pending
    pending = null
    try {
      const response = await post(queued.map(entry => entry.publication))
      for (const entry of queued) {
        if (response.ok) entry.resolve()
        else entry.reject(broadcastError(entry.publication.stream, response))
      }
    } catch (error) {
      for (const entry of queued) entry.reject(error)
    }
  }
  return async (stream, data, meta) => {
    const entry = { publication: publication(stream, data, meta) }
    const settled = new Promise((resolve, reject) => Object.assign(entry, { resolve, reject }))
    if (pending === null) {
      pending = []
      queueMicrotask(flush)
    }
    pending.push(entry)
    return settled
  }
}
