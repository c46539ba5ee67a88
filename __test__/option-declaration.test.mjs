// Every server option is declared once, in lib/options.js; these checks fail when the files
// generated from it (the TypeScript types, the README table and flag list) are stale, or when what
// is written by hand (the napi struct and the Rust defaults and ranges behind it) disagrees with it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { SERVER_OPTIONS } = require('../lib/options.js')
const { NativeCableServer, serverDefaults } = require('../binding.js')
const { generatedReadme, generatedTypes } = await import('../scripts/option-docs.mjs')

const read = file => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8')
const README = read('README.md')
const sorted = names => [...names].sort()
const declaredNames = sorted(SERVER_OPTIONS.map(option => option.name))
/** Options the native layer takes: all but the JS-only ones (no CLI flag, e.g. `application`). */
const nativeOptions = SERVER_OPTIONS.filter(option => option.flag)

/** The member names of `export interface <name> { ... }` in a .d.ts file. */
function interfaceMembers(source, name) {
  const body = new RegExp(`export interface ${name} \\{\\n([^]*?)\\n\\}`).exec(source)?.[1]
  assert.ok(body, `${name} is declared`)
  return sorted([...body.matchAll(/^ {2}(\w+)\?:/gm)].map(match => match[1]))
}

test('every option is declared once, with a doc line and its snake_case flag', () => {
  assert.equal(new Set(declaredNames).size, declaredNames.length, 'option names are unique')
  const flags = nativeOptions.map(option => option.flag)
  assert.equal(new Set(flags).size, flags.length, 'flags are unique')
  for (const option of SERVER_OPTIONS) {
    assert.match(option.doc, /\S/, `${option.name} has a doc line`)
    if (option.flag && !option.flagDiffers) assert.equal(option.flag.replace(/_(\w)/g, (_, c) => c.toUpperCase()), option.name, 'flag = snake_case name')
  }
})

/** Fails, naming the first differing line, unless `file` is what `generate` makes of it. */
function assertGenerated(file, generate) {
  const actual = read(file)
  const expected = generate(actual)
  if (actual === expected) return
  const actualLines = actual.split('\n')
  const expectedLines = expected.split('\n')
  const line = actualLines.findIndex((text, index) => text !== expectedLines[index])
  assert.fail(
    `${file} is not what lib/options.js declares: run npm run options:docs\n` +
      `line ${line + 1} is\n  ${actualLines[line]}\nbut should be\n  ${expectedLines[line]}`,
  )
}

test('index.d.ts CableServerOptions is generated from the declaration (npm run options:docs)', () => {
  assertGenerated('index.d.ts', generatedTypes)
  assert.deepEqual(interfaceMembers(read('index.d.ts'), 'CableServerOptions'), declaredNames)
})

test('the README options table and command line flag list are generated from the declaration (npm run options:docs)', () => {
  assertGenerated('README.md', generatedReadme)
  const start = README.indexOf('### Command line')
  const section = README.slice(start, README.indexOf('\n#', start + 1))
  for (const variable of SERVER_OPTIONS.flatMap(option => option.env ?? [])) {
    assert.ok(section.includes(`\`${variable}\``), `the README's command line section names ${variable}`)
  }
})

test('the napi ServerOptions (binding.d.ts, generated from src/server.rs) takes exactly the native options', () => {
  assert.deepEqual(interfaceMembers(read('binding.d.ts'), 'ServerOptions'), sorted(nativeOptions.map(option => option.name)))
})

test('declared defaults are the Rust Config::default() values', () => {
  const defaults = serverDefaults()
  for (const option of nativeOptions) assert.deepEqual(defaults[option.name], option.default, option.name)
  assert.deepEqual(sorted(Object.keys(defaults)), sorted(nativeOptions.filter(o => o.default !== undefined).map(o => o.name)))
})

test('declared ranges are the ones the Rust core holds options to', () => {
  const accepts = (name, value) => assert.doesNotThrow(() => new NativeCableServer({ [name]: value }), `${name}: ${value}`)
  const refuses = (name, value) =>
    assert.throws(() => new NativeCableServer({ [name]: value }), error => error.code === 'InvalidArg' && error.message.includes(name), `${name}: ${value}`)
  const numeric = nativeOptions.filter(option => option.type === 'integer' || option.type === 'seconds')
  assert.ok(numeric.length >= 10)
  for (const { name, type, min, max } of numeric) {
    accepts(name, min)
    accepts(name, max)
    if (type === 'seconds') {
      if (min > 0) refuses(name, min / 2)
      refuses(name, max + 1)
    } else {
      // Below 0 or above u32 the napi conversion itself wraps, so only ranges narrower than u32.
      if (min > 0) refuses(name, min - 1)
      if (max < 2 ** 32 - 1) refuses(name, max + 1)
    }
  }
  for (const { name, values } of nativeOptions.filter(option => option.type === 'enum')) {
    for (const value of values) accepts(name, value)
    refuses(name, 'undeclared')
  }
})
