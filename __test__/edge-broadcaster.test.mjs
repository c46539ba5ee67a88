// The Edge build's broadcaster (lib/edge/broadcaster.mjs, lib/broadcaster.js as ESM) against the
// native build's: the same requests for the same broadcasts, single and batched, the same errors
// for a refusing server and for bad arguments.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import native from '../index.js'
import * as edge from '../index.edge.mjs'

/** A local server recording each request (method, path, headers that matter, body); answers `status`. */
async function recordingServer(t, status) {
  const requests = []
  const server = http.createServer(async (request, response) => {
    let body = ''
    for await (const chunk of request) body += chunk
    requests.push({ method: request.method, url: request.url, authorization: request.headers.authorization, type: request.headers['content-type'], body })
    response.writeHead(status).end()
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise(resolve => server.close(resolve)))
  return { url: `http://127.0.0.1:${server.address().port}/_broadcast`, requests }
}

async function settle(call) {
  try {
    return { value: await call() }
  } catch (error) {
    return { error: { name: error.name, message: error.message, status: error.status } }
  }
}

/** What `build`'s broadcaster sends and answers for a fixed series of broadcasts. */
async function run(t, build, { status, key, options }) {
  const server = await recordingServer(t, status)
  const broadcast = build.broadcaster(server.url, key, options)
  const outcomes = []
  outcomes.push(await settle(() => broadcast('chat/1', { text: 'hi ü' })))
  outcomes.push(await settle(() => broadcast('chat/2', 'plain', { exclude_socket: 'sid', transient: true })))
  // Three in one tick: one request when batched.
  outcomes.push(...(await Promise.all(['a', 'b', 'c'].map(stream => settle(() => broadcast(stream, [stream]))))))
  outcomes.push(await settle(() => broadcast(42, {})))
  outcomes.push(await settle(() => broadcast('s', undefined)))
  outcomes.push(await settle(() => broadcast('s', {}, [])))
  return { outcomes, requests: server.requests }
}

for (const status of [201, 422]) {
  for (const options of [undefined, { batch: true }]) {
    test(`server answering ${status}, ${options ? 'batched' : 'one request each'}: the same requests and outcomes`, async t => {
      for (const key of [undefined, 'the-key']) {
        const expected = await run(t, native, { status, key, options })
        const actual = await run(t, edge, { status, key, options })
        assert.deepEqual(actual, expected)
        assert.ok(expected.requests.length >= 2)
      }
    })
  }
}

test('bad broadcaster arguments: the same TypeErrors', async () => {
  for (const args of [['not a url'], ['http://x', 42], ['http://x', 'k', null], ['http://x', 'k', { batch: 'yes' }], ['http://x', 'k', { other: true }]]) {
    assert.deepEqual(await settle(() => edge.broadcaster(...args)), await settle(() => native.broadcaster(...args)), JSON.stringify(args))
  }
})
