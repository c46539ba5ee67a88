// A raw `ws` Action Cable client, for tests that watch frames, timings and close codes directly.
import WebSocket from 'ws'

/**
 * Opens a connection with `token` (sub-protocol transport, or none) and records every frame;
 * `options` go to `ws` (e.g. `headers`). Closed after the test.
 */
export function rawClient(t, url, token, options = {}) {
  const protocols = ['actioncable-v1-json', ...(token ? [`anycable-token.${token}`] : [])]
  const ws = new WebSocket(url, protocols, options)
  const frames = []
  const waiters = new Set()
  const closed = new Promise(resolve => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })))
  ws.on('message', data => {
    const frame = { at: performance.now(), ...JSON.parse(String(data)) }
    frames.push(frame)
    for (const waiter of waiters) waiter(frame)
  })
  ws.on('error', () => {})
  t.after(() => ws.terminate())

  /** Resolves with the first frame (already received or next) matching `predicate`. */
  function frame(predicate, ms = 5000, what = 'frame') {
    const seen = frames.find(predicate)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(waiter)
        reject(new Error(`no ${what} within ${ms} ms`))
      }, ms)
      const waiter = candidate => {
        if (!predicate(candidate)) return
        clearTimeout(timer)
        waiters.delete(waiter)
        resolve(candidate)
      }
      waiters.add(waiter)
    })
  }

  const send = command => ws.send(typeof command === 'string' ? command : JSON.stringify(command))

  /** Subscribes to `identifier` (an object) and resolves with the confirm or reject frame. */
  function subscribe(identifier, ms = 5000) {
    const id = JSON.stringify(identifier)
    send({ command: 'subscribe', identifier: id })
    return frame(f => f.identifier === id && /subscription/.test(f.type ?? ''), ms, `answer to subscribe ${id}`)
  }

  return { ws, frames, frame, send, subscribe, closed, welcomed: () => frame(f => f.type === 'welcome', 5000, 'welcome') }
}
