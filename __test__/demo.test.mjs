// The demo chat in a real browser: Debian's Chromium driven by playwright-core. Two pages open
// the demo on the extended protocol; each shows the other online (presence), a message sent from
// one shows up in the other, and a page whose connection dropped gets what it missed (history).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const BIN = fileURLToPath(new URL('../bin/anycable-rs.js', import.meta.url))
const OUTPUT = fileURLToPath(new URL('./output/', import.meta.url))
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** `anycable-rs --demo` on a free port; resolves the page URL once it is served. */
function startDemo(t) {
  const child = spawn(process.execPath, [BIN, '--demo', '--port=0'], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => child.kill('SIGKILL'))
  let output = ''
  return new Promise((resolve, reject) => {
    const onData = chunk => {
      output += chunk
      const url = /demo chat at (http:\/\/\S+\/)/.exec(output)?.[1]
      if (url) resolve(url)
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', code => reject(new Error(`demo exited with ${code}: ${output}`)))
  })
}

test('two browser pages chat through the demo', { timeout: 60_000 }, async t => {
  const url = await startDemo(t)
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] })
  t.after(() => browser.close())
  const open = async name => {
    const page = await browser.newPage()
    const errors = []
    page.on('pageerror', error => errors.push(error))
    await page.goto(`${url}?name=${name}`)
    await page.locator('#status', { hasText: 'subscribed' }).waitFor({ timeout: 15_000 })
    return { page, errors }
  }
  const ann = await open('ann')
  const bob = await open('bob')

  await ann.page.fill('#text', 'hello from ann')
  await ann.page.click('button')
  const received = bob.page.locator('#messages li', { hasText: 'hello from ann' })
  await received.waitFor({ timeout: 10_000 })
  assert.equal(await received.locator('b').textContent(), 'ann')
  // The sender sees its own message too: it went through the server, not only the page.
  await ann.page.locator('#messages li', { hasText: 'hello from ann' }).waitFor({ timeout: 10_000 })

  // Each page shows who is online, itself included.
  for (const { page } of [ann, bob]) {
    for (const name of ['ann', 'bob']) {
      await page.locator('#online li', { hasText: name }).waitFor({ timeout: 10_000 })
    }
  }

  // Bob's connection drops; Ann writes meanwhile; Bob reconnects and the history fills the gap.
  await bob.page.evaluate(() => window.cable.disconnect())
  await bob.page.locator('#status', { hasText: 'disconnected' }).waitFor({ timeout: 10_000 })
  await ann.page.fill('#text', 'while bob was away')
  await ann.page.click('button')
  await ann.page.locator('#messages li', { hasText: 'while bob was away' }).waitFor({ timeout: 10_000 })
  assert.equal(await bob.page.locator('#messages li', { hasText: 'while bob was away' }).count(), 0)
  await bob.page.evaluate(() => window.cable.connect())
  await bob.page.locator('#status', { hasText: 'subscribed' }).waitFor({ timeout: 15_000 })
  await bob.page.locator('#messages li', { hasText: 'while bob was away' }).waitFor({ timeout: 10_000 })
  assert.equal(await bob.page.locator('#messages li', { hasText: 'hello from ann' }).count(), 1, 'nothing twice')
  await bob.page.locator('#online li', { hasText: 'ann' }).waitFor({ timeout: 10_000 })

  mkdirSync(OUTPUT, { recursive: true })
  await bob.page.screenshot({ path: `${OUTPUT}demo-chat.png` })
  assert.deepEqual([...ann.errors, ...bob.errors], [])
})

test('the demo endpoints refuse bad input and exist only in demo mode', async t => {
  const url = await startDemo(t)
  const post = (path, body) => fetch(new URL(path, url), { method: 'POST', body })
  assert.equal((await post('demo/session', '{}')).status, 422)
  assert.equal((await post('demo/messages', 'not json')).status, 400)
  assert.equal((await post('demo/messages', JSON.stringify({ name: 'x' }))).status, 422)
  assert.equal((await fetch(new URL('modules/%2e%2e/%2e%2e/package.json', url))).status, 404)
  assert.equal((await fetch(new URL('modules/@anycable/web/index.js', url))).status, 200)

  // Without --demo the cable server has no page and no demo endpoints.
  const child = spawn(process.execPath, [BIN, '--dev', '--port=0'], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => child.kill('SIGKILL'))
  const cable = await new Promise(resolve => {
    let output = ''
    child.stdout.on('data', chunk => {
      output += chunk
      const match = /listening on ws:\/\/(\S+)\/cable/.exec(output)
      if (match) resolve(`http://${match[1]}/`)
    })
  })
  assert.equal((await fetch(cable)).status, 404)
  assert.equal((await fetch(new URL('demo/session', cable), { method: 'POST', body: '{"name":"x"}' })).status, 404)
})
