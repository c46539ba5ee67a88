// The README's words about a benchmark say what its own table says.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

test('the in-process vs rpcHost summary quotes the channels table', () => {
  const section = README.slice(README.indexOf('### Application channels: in-process vs RPC over HTTP'))
  const ratios = {}
  for (const name of ['subscribe', 'perform']) {
    const row = new RegExp(`^\\| ${name} \\|(.*)\\|$`, 'm').exec(section)?.[1].split('|').map(cell => cell.trim())
    assert.ok(row, `a ${name} row`)
    ratios[name] = { endToEnd: row.at(-2), aboveFloor: row.at(-1) }
  }
  const summary = /The in-process path is (\S+) faster end to end for subscribe and (\S+) for perform \((\S+) and (\S+)\s+on the application's share above the `\$pubsub` floor\)/.exec(section)
  assert.ok(summary, 'the summary sentence')
  assert.deepEqual(summary.slice(1), [ratios.subscribe.endToEnd, ratios.perform.endToEnd, ratios.subscribe.aboveFloor, ratios.perform.aboveFloor])
})
