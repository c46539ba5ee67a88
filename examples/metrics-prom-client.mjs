// A Node app that exports the cable server's metrics through its own prom-client registry, next
// to its own metrics, on its own HTTP port (instead of the server's `metricsPath`).
//   ANYCABLE_SECRET=dev-secret PORT=8080 METRICS_PORT=9394 node examples/metrics-prom-client.mjs
import { createServer } from 'node:http'
import { Registry, Counter, collectDefaultMetrics } from 'prom-client'
import { createCableServer } from 'anycable-rs'

const server = createCableServer({ port: Number(process.env.PORT ?? 8080), secret: process.env.ANYCABLE_SECRET })
const { url } = await server.listen()

const registry = new Registry()
collectDefaultMetrics({ register: registry })
const scrapes = new Counter({ name: 'app_metrics_scrapes_total', help: 'Scrapes of this endpoint', registers: [registry] })

/** prom-client's samples for one `server.metrics()` entry, and its Prometheus type. */
function samples(name, value) {
  if (typeof value === 'number') return [name.endsWith('_total') ? 'counter' : 'gauge', [{ value }]]
  if ('buckets' in value) {
    const buckets = value.buckets.map(({ le, count }) => ({ metricName: `${name}_bucket`, labels: { le }, value: count }))
    return [
      'histogram',
      [
        ...buckets,
        { metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: value.count },
        { metricName: `${name}_sum`, value: value.sum },
        { metricName: `${name}_count`, value: value.count },
      ],
    ]
  }
  // A counter per reason (disconnect_total).
  return ['counter', Object.entries(value).map(([reason, count]) => ({ labels: { reason }, value: count }))]
}

// One registry entry per cable metric, read from server.metrics() at every scrape. prom-client
// registers any object with a name and a `get()` that returns the metric's samples.
for (const key of Object.keys(server.metrics())) {
  const name = `anycable_go_${key}`
  const help = `anycable-rs ${key} (see its README, "Metrics")`
  const [type] = samples(name, server.metrics()[key])
  registry.registerMetric({
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => {
      const current = server.metrics() // null once the server is closed
      return { name, help, type, aggregator: 'sum', values: current ? samples(name, current[key])[1] : [] }
    },
  })
}

const http = createServer(async (request, response) => {
  if (request.url !== '/metrics') return response.writeHead(404).end()
  scrapes.inc()
  response.writeHead(200, { 'Content-Type': registry.contentType }).end(await registry.metrics())
})
http.listen(Number(process.env.METRICS_PORT ?? 9394), '127.0.0.1', () => {
  console.log(`listening on ${url}; metrics at http://127.0.0.1:${http.address().port}/metrics`)
})

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    http.close()
    await server.close()
    process.exit(0)
  })
}
