// An in-process application written with this package's Application and Channel, as a plain Node
// ESM file and as a CommonJS file in a project that installs anycable-rs by name, answering real
// AnyCable clients (serverless-js 0.1.0 can do neither: its ESM build fails under plain Node and it
// has no CommonJS build).
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { client, collect, token, until, SECRET } from './support/cable.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const APP = fileURLToPath(new URL('./support/node-app/', import.meta.url))

/** A project directory with the chat app files and anycable-rs in its node_modules (a link here). */
function project(t) {
  const dir = mkdtempSync(path.join(tmpdir(), 'anycable-rs-channels-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  cpSync(APP, dir, { recursive: true })
  mkdirSync(path.join(dir, 'node_modules'))
  symlinkSync(ROOT, path.join(dir, 'node_modules', 'anycable-rs'), 'dir')
  return dir
}

/** Starts `node <file>` in `dir`; resolves its cable URL and the events it prints. */
async function start(t, dir, file) {
  const child = spawn(process.execPath, [file], { cwd: dir, env: { ...process.env, ANYCABLE_SECRET: SECRET }, stdio: ['ignore', 'pipe', 'inherit'] })
  t.after(() => child.kill('SIGKILL'))
  const events = []
  let output = ''
  const url = await new Promise((resolve, reject) => {
    child.on('exit', code => reject(new Error(`${file} exited with ${code}`)))
    child.stdout.on('data', chunk => {
      output += chunk
      const lines = output.split('\n')
      output = lines.pop()
      for (const line of lines) {
        if (line.startsWith('event ')) events.push(JSON.parse(line.slice(6)))
        const listening = /^listening on (\S+)$/.exec(line)
        if (listening) resolve(listening[1])
      }
    })
  })
  return { url, events }
}

const withCookie = cookie =>
  class extends WebSocket {
    constructor(url, protocols) {
      super(url, protocols, { headers: { cookie } })
    }
  }

const unordered = messages => messages.map(message => JSON.stringify(message)).sort()

for (const file of ['chat.mjs', 'chat.cjs']) {
  describe(`an application written with anycable-rs's Channel in ${file}`, () => {
    test('connect, subscribe, perform (transmit and broadcast), reject, forbidden actions, unsubscribed and disconnect', { timeout: 30_000 }, async t => {
      const { url, events } = await start(t, project(t), file)
      const ann = client(t, url, { websocketAuthStrategy: 'param', websocketImplementation: withCookie('user=ann') })
      const bob = client(t, url, { auth: { token: token({ username: 'bob' }) } })
      const annRoom = ann.subscribeTo('chat', { roomId: '42' })
      const bobRoom = bob.subscribeTo('chat', { roomId: '42' })
      const [annGot, bobGot] = [collect(annRoom), collect(bobRoom)]
      await Promise.all([annRoom.ensureSubscribed(), bobRoom.ensureSubscribed()])
      await assert.rejects(bob.subscribeTo('chat', {}).ensureSubscribed())

      await annRoom.perform('subscribed', { roomId: '43' })
      await annRoom.perform('sendMessage', { body: 'hello' })
      await until(() => annGot.length === 3 && bobGot.length === 2, 5000, 'the transmission and the broadcast')
      assert.deepEqual(unordered(annGot), unordered([{ joined: '42' }, { sent: 'hello' }, { username: 'ann', body: 'hello' }]))
      assert.deepEqual(bobGot, [{ joined: '42' }, { username: 'ann', body: 'hello' }])

      await bobRoom.disconnect()
      await until(() => events.some(event => event.unsubscribed === 'bob-42'), 5000, 'unsubscribed')
      ann.disconnect()
      await until(() => events.some(event => event.disconnect === 'ann'), 5000, 'disconnect')
      assert.deepEqual(events, [{ connect: 'ann' }, { unsubscribed: 'bob-42' }, { unsubscribed: 'ann-42' }, { disconnect: 'ann' }])
    })
  })
}
