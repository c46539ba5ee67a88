// Prometheus metrics: real clients connect, subscribe, are refused, broadcast, fail commands and
// disconnect while the test scrapes `metricsPath` (and reads `server.metrics()`).
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { Application, Channel, broadcastKey, createCableServer, signStream } from '../index.mjs'
import { SECRET, startServer, client, token, collect, until, sleep } from './support/cable.mjs'
import { rawClient } from './support/raw-cable.mjs'

const KEY = broadcastKey(SECRET)

/** GET `url` (with the broadcast key unless `key` is null): status and the samples by name. */
async function scrape(url, key = KEY) {
  const response = await fetch(url, { headers: key ? { Authorization: `Bearer ${key}` } : {} })
  const text = await response.text()
  const samples = new Map()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const at = line.lastIndexOf(' ')
    samples.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return { status: response.status, type: response.headers.get('content-type'), text, samples }
}

/** `server.metrics()` flattened into the sample names the text format uses. */
function flatten(metrics) {
  const samples = new Map()
  for (const [key, value] of Object.entries(metrics)) {
    const name = `anycable_go_${key}`
    if (typeof value === 'number') samples.set(name, value)
    else if ('buckets' in value) {
      for (const { le, count } of value.buckets) samples.set(`${name}_bucket{le="${le}"}`, count)
      samples.set(`${name}_bucket{le="+Inf"}`, value.count)
      samples.set(`${name}_sum`, value.sum)
      samples.set(`${name}_count`, value.count)
    } else for (const [reason, count] of Object.entries(value)) samples.set(`${name}{reason="${reason}"}`, count)
  }
  return samples
}

const metric = (samples, name) => samples.get(`anycable_go_${name}`)

describe('the metrics endpoint', () => {
  test('counts what real clients do', async t => {
    // No pings during the test: the last check compares two reads, and a ping between them counts.
    const { server, url, metricsUrl } = await startServer(t, { metricsPath: '/metrics', pingInterval: 3600 })
    assert.equal(metricsUrl, url.replace(/^ws/, 'http').replace('/cable', '/metrics'))
    const idle = await scrape(metricsUrl)
    assert.equal(idle.status, 200)
    assert.equal(idle.type, 'text/plain; version=0.0.4; charset=utf-8')
    assert.match(idle.text, /# TYPE anycable_go_clients_num gauge\n/)
    assert.equal(metric(idle.samples, 'clients_num'), 0)

    // Three sessions of two users, one subscribed; a forged token refused.
    const first = client(t, url, { auth: { token: token({ user_id: 1 }) } })
    const channel = first.streamFromSigned(signStream('news', SECRET))
    const messages = collect(channel)
    await channel.ensureSubscribed()
    const second = client(t, url, { auth: { token: token({ user_id: 1 }) } })
    await second.connect()
    await client(t, url, { auth: { token: token({ user_id: 2 }) } }).connect()
    await assert.rejects(client(t, url, { auth: { token: token().replace(/.$/, 'x') } }).connect())

    // A broadcast from Node, one over HTTP, and an HTTP body that is not a publication.
    server.broadcast('news', { n: 1 })
    const post = body =>
      fetch(metricsUrl.replace('/metrics', '/_broadcast'), { method: 'POST', headers: { Authorization: `Bearer ${KEY}` }, body })
    assert.equal((await post(JSON.stringify({ stream: 'news', data: '{"n":2}' }))).status, 201)
    assert.equal((await post('not json')).status, 422)
    await until(() => messages.length === 2, 5000, 'both broadcasts')

    // A command the server does not know, then a client leaving.
    const raw = rawClient(t, url, token({ user_id: 3 }))
    await raw.frame(frame => frame.type === 'welcome')
    raw.ws.send(JSON.stringify({ command: 'bogus', identifier: '{}' }))
    await until(async () => metric((await scrape(metricsUrl)).samples, 'failed_client_msg_total') === 1, 5000, 'the unknown command')
    second.disconnect()
    await until(async () => metric((await scrape(metricsUrl)).samples, 'disconnect_total{reason="client_closed"}') === 1, 5000, 'the leaving client')

    const { samples } = await scrape(metricsUrl)
    assert.equal(metric(samples, 'clients_num'), 3) // users 1, 2 and 3
    assert.equal(metric(samples, 'clients_uniq_num'), 3)
    assert.equal(metric(samples, 'failed_auths_total'), 1)
    assert.equal(metric(samples, 'disconnect_total{reason="unauthorized"}'), 1)
    assert.equal(metric(samples, 'broadcast_msg_total'), 2)
    assert.equal(metric(samples, 'failed_broadcast_msg_total'), 1)
    assert.equal(metric(samples, 'broadcast_streams_num'), 1)
    assert.equal(metric(samples, 'broadcast_fanout_seconds_count'), 2)
    assert.ok(metric(samples, 'broadcast_fanout_seconds_sum') > 0)
    // subscribe + unknown command; welcomes, the confirmation and both broadcasts at least.
    assert.equal(metric(samples, 'client_msg_total'), 2)
    assert.ok(metric(samples, 'server_msg_total') >= 7)
    assert.ok(metric(samples, 'data_sent_total') > metric(samples, 'data_rcvd_total'))
    assert.ok(metric(samples, 'outbox_depth_count') >= 2)
    // No application: no calls, and no call histogram.
    assert.equal(metric(samples, 'rpc_call_total'), 0)
    assert.equal(metric(samples, 'rpc_duration_seconds_count'), undefined)

    // Same figures as the object, once nothing moves.
    assert.deepEqual(flatten(server.metrics()), (await scrape(metricsUrl)).samples)
  })

  test('on the public port it needs the broadcast key, unless public mode has none', async t => {
    const { metricsUrl } = await startServer(t, { metricsPath: '/metrics' })
    assert.equal((await scrape(metricsUrl, null)).status, 401)
    assert.equal((await scrape(metricsUrl, 'wrong')).status, 401)
    assert.equal((await scrape(metricsUrl)).status, 200)
    const noKey = await startServer(t, { metricsPath: '/metrics', secret: undefined })
    const refused = await scrape(noKey.metricsUrl, null)
    assert.equal(refused.status, 401)
    assert.match(refused.text, /need a secret or broadcast key/)
    const open = await startServer(t, { metricsPath: '/metrics', secret: undefined, public: true })
    assert.equal((await scrape(open.metricsUrl, null)).status, 200)
  })

  test('metricsPort serves them on a listener of their own, without the key', async t => {
    const { server, url, metricsUrl } = await startServer(t, { metricsPort: 0 })
    assert.match(metricsUrl, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    assert.notEqual(new URL(metricsUrl).port, new URL(url).port)
    const own = await scrape(metricsUrl, null)
    assert.equal(own.status, 200)
    assert.equal(metric(own.samples, 'clients_num'), 0)
    assert.equal((await fetch(metricsUrl.replace('/metrics', '/other'))).status, 404)
    // Not on the main port.
    assert.equal((await scrape(url.replace(/^ws/, 'http').replace('/cable', '/metrics'))).status, 404)
    await server.close()
    await assert.rejects(fetch(metricsUrl))
  })

  test('without metricsPath nothing is served, and server.metrics() still counts', async t => {
    const server = createCableServer({ port: 0, secret: SECRET })
    assert.equal(server.metrics(), null)
    const { url, metricsUrl } = await server.listen()
    t.after(() => server.close())
    assert.equal(metricsUrl, undefined)
    assert.equal((await scrape(url.replace(/^ws/, 'http').replace('/cable', '/metrics'))).status, 404)
    await client(t, url, { auth: { token: token() } }).connect()
    assert.equal(server.metrics().clients_num, 1)
  })

  test('application calls are counted, with their failures, timeouts and durations', async t => {
    class Slow extends Channel {
      async subscribed(handle) {
        handle.streamFrom('slow')
      }
      async wait() {
        await sleep(400)
      }
    }
    const app = new Application()
    app.registerChannel('slow', new Slow())
    const { server, url } = await startServer(t, { application: app, rpcTimeout: 0.1 })
    const cable = client(t, url, { auth: { token: token() } })
    const channel = cable.subscribeTo('slow')
    await channel.ensureSubscribed()
    await channel.perform('wait').catch(() => {})
    await until(() => server.metrics().rpc_error_total === 1, 5000, 'the timed out call')
    const metrics = server.metrics()
    assert.equal(metrics.rpc_call_total, 2) // subscribe, then the action
    assert.equal(metrics.rpc_timeouts_total, 1)
    assert.equal(metrics.rpc_pending_num, 0)
    assert.equal(metrics.rpc_duration_seconds.count, 2)
    assert.ok(metrics.rpc_duration_seconds.sum >= 0.1)
  })
})

describe('metrics options', () => {
  const refused = (options, pattern) => assert.throws(() => createCableServer({ port: 0, ...options }), error => error instanceof TypeError && pattern.test(error.message))

  test('are checked with clear errors', () => {
    refused({ metricsPath: 5 }, /option "metricsPath" must be a string/)
    refused({ metricsPath: 'metrics' }, /metricsPath must start with '\/'/)
    refused({ metricsPath: '/cable' }, /metricsPath must differ from path/)
    refused({ metricsPath: '/_broadcast' }, /metricsPath must differ from broadcastPath/)
    refused({ metricsPort: 70_000 }, /option "metricsPort" must be an integer from 0 \(any free port\) to 65535/)
    refused({ metricsPort: -1 }, /metricsPort/)
    refused({ metricsPort: '9090' }, /metricsPort/)
    refused({ metricsHost: '0.0.0.0' }, /metricsHost needs metricsPath or metricsPort/)
  })

  test('a taken metricsPort fails listen()', async t => {
    const { metricsUrl } = await startServer(t, { metricsPort: 0 })
    const taken = createCableServer({ port: 0, metricsPort: Number(new URL(metricsUrl).port) })
    await assert.rejects(taken.listen(), /already in use/)
  })
})
