#!/usr/bin/env node
'use strict'

// The command line: AnyCable's flag names and ANYCABLE_* variables -> createCableServer options.
const { randomBytes } = require('node:crypto')
const { createCableServer } = require('../index.js')
const { startDemo } = require('../lib/demo.js')
const { SERVER_OPTIONS } = require('../lib/options.js')

/** How a flag's text becomes a value, by the option's declared type. */
const KIND_OF_TYPE = { boolean: 'boolean', integer: 'integer', seconds: 'number' }

/** flag -> [option name, kind, environment variables], from the declaration in lib/options.js. */
const FLAGS = Object.fromEntries(
  SERVER_OPTIONS.filter(option => option.flag).map(({ name, flag, type, env = [] }) => [
    flag,
    [name, KIND_OF_TYPE[type] ?? 'string', [`ANYCABLE_${flag.toUpperCase()}`, ...env]],
  ]),
)

const USAGE = `Usage: anycable-rs [--flag=value ...] [--dev] [--demo]

Serves the Action Cable protocol to AnyCable clients. Flags (or ANYCABLE_<FLAG> variables):
  ${Object.keys(FLAGS).map(flag => `--${flag}`).join(' ')}
  --dev    no secret given: generate a development secret and print it (never in production)
  --demo   --dev, plus a chat page at / (http://localhost:8080/ by default) using @anycable/web
  --help   this text`

/** `--help`: the usage, then one line per flag from its declaration. */
const HELP = [
  USAGE,
  '',
  'Flags in detail [default]:',
  ...SERVER_OPTIONS.filter(option => option.flag).map(({ flag, doc, default: value }) => {
    const shown = String(value ?? '') // an empty list or no default shows none
    // The doc is Markdown for the README and the types; a terminal shows it without backticks.
    return `  --${flag.padEnd(24)} ${doc.replaceAll('`', '')}${shown === '' ? '' : ` [${shown}]`}`
  }),
].join('\n')

class UsageError extends Error {}

function convert(flag, kind, raw) {
  if (kind === 'string') return raw
  if (kind === 'boolean') {
    if (['true', '1', 'yes', ''].includes(raw.toLowerCase())) return true
    if (['false', '0', 'no'].includes(raw.toLowerCase())) return false
    throw new UsageError(`--${flag} takes true or false, got "${raw}"`)
  }
  const number = Number(raw)
  if (raw.trim() === '' || !Number.isFinite(number) || (kind === 'integer' && !Number.isInteger(number))) {
    throw new UsageError(`--${flag} takes ${kind === 'integer' ? 'an integer' : 'a number'}, got "${raw}"`)
  }
  return number
}

/** Options from the environment, overridden by flags. */
function parse(argv, env) {
  const options = {}
  let dev = false
  let demo = false
  for (const [flag, [name, kind, variables]] of Object.entries(FLAGS)) {
    const variable = variables.find(v => env[v] !== undefined && env[v] !== '')
    if (variable) options[name] = convert(flag, kind, env[variable])
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--help' || arg === '-h') return { help: true }
    if (arg === '--dev' || arg === '--demo') {
      dev = true
      demo ||= arg === '--demo'
      continue
    }
    const match = /^--([a-z_-]+)(?:=(.*))?$/s.exec(arg)
    const flag = match?.[1].replace(/-/g, '_')
    if (!match || !Object.hasOwn(FLAGS, flag)) throw new UsageError(`unknown argument "${arg}"`)
    const [name, kind] = FLAGS[flag]
    let raw = match[2]
    if (raw === undefined) {
      if (kind === 'boolean') raw = 'true'
      else if (i + 1 < argv.length) raw = argv[++i]
      else throw new UsageError(`--${flag} needs a value`)
      // `--secret --port=0` forgot the secret; taking `--port=0` as it would hide that. `--secret=--x`
      // stays possible. Only the flag name is echoed: the text after `=` may be a secret.
      if (raw.startsWith('--')) {
        throw new UsageError(`--${flag} needs a value, got the flag ${raw.split('=')[0]} (write --${flag}=<value> for a value starting with --)`)
      }
    }
    options[name] = convert(flag, kind, raw)
  }
  return { options, dev, demo }
}

function describe(features) {
  const on = value => (value ? 'on' : 'off')
  return [
    `jwt: ${features.jwt ? (features.enforceJwt ? 'enforced' : 'on') : 'off'}`,
    `anonymous: ${on(features.noauth)}`,
    `signed streams: ${on(features.signedStreams)}`,
    `public streams: ${on(features.publicStreams)}`,
    `turbo streams: ${on(features.turboStreams)}`,
    `whisper on signed streams: ${on(features.streamsWhisper)}`,
    `HTTP broadcast: ${features.httpBroadcast}`,
    `application channels: ${features.application}`,
    `redis broadcasts: ${on(features.redisBroadcasts)}`,
    `redisx broadcasts: ${features.redisxStream ? `stream ${features.redisxStream}` : 'off'}`,
    `redis pubsub: ${features.broker === 'redis' ? 'via broker' : on(features.redisPubsub)}`,
    `broker: ${features.broker}`,
  ].join(', ')
}

async function main() {
  const parsed = parse(process.argv.slice(2), process.env)
  if (parsed.help) {
    console.log(HELP)
    return
  }
  const { options, dev, demo } = parsed
  let devSecret
  if (dev && !options.secret) {
    devSecret = randomBytes(24).toString('hex')
    options.secret = devSecret
  }
  // In demo mode the cable server listens on loopback behind the demo page's port.
  const demoAddress = demo && { port: options.port ?? 8080, host: options.host ?? 'localhost' }
  const server = createCableServer(demo ? { ...options, host: '127.0.0.1', port: 0 } : options)
  let demoServer
  let stopping = false
  const stop = async signal => {
    if (stopping) return
    stopping = true
    console.log(`${signal}: closing connections (clients are told to reconnect)`)
    await demoServer?.close()
    await server.close()
    process.exit(0)
  }
  // Before listening: native threads welcome clients while this one may still be descheduled,
  // so a signal can come as soon as the port is open.
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  const { url, port } = await server.listen()
  if (demo) {
    demoServer = await startDemo({ cable: server, cablePort: port, secret: options.secret, ...demoAddress })
    const cableUrl = `${demoServer.url.replace(/^http/, 'ws')}cable`
    console.log(`anycable-rs demo chat at ${demoServer.url} (cable at ${cableUrl}; ${describe(server.features())})`)
  } else {
    console.log(`anycable-rs listening on ${url} (${describe(server.features())})`)
  }
  if (devSecret) {
    // Printed only because it was made up just now for development; configured secrets never are.
    console.log(`development secret (ANYCABLE_SECRET): ${devSecret}`)
    console.log(
      `mint a token: node -e "console.log(require('anycable-rs').generateToken({ user_id: 1 }, { secret: process.argv[1] }))" ${devSecret}`,
    )
  }
}

main().catch(error => {
  console.error(`anycable-rs: ${error.message}`)
  if (error instanceof UsageError) console.error(USAGE)
  process.exit(error instanceof UsageError || error instanceof TypeError ? 2 : 1)
})
