// The Node.js versions the README states: the installed package's (its `engines`, and the
// platform packages'), and the development tooling's (every devDependency's declared `engines`).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'

const root = new URL('../', import.meta.url)
const readJson = path => JSON.parse(readFileSync(new URL(path, root), 'utf8'))
const README = readFileSync(new URL('README.md', root), 'utf8')

const version = text => text.split('.').map(Number).concat(0, 0, 0).slice(0, 3)
const compare = (a, b) => a.reduce((result, part, i) => result || part - b[i], 0)

/**
 * Whether `node` satisfies an `engines` range. Only the forms npm packages here use (`>= x`,
 * `^x`, `||`); anything else fails the test rather than being guessed at.
 */
function satisfies(node, range) {
  const wanted = version(node)
  return range.split('||').some(alternative => {
    const match = /^\s*(>=|\^)\s*(\d+(?:\.\d+){0,2})\s*$/.exec(alternative)
    assert.ok(match, `an engines range this test understands: "${range}"`)
    const floor = version(match[2])
    if (compare(wanted, floor) < 0) return false
    return match[1] === '>=' || wanted[0] === floor[0]
  })
}

test('the installed package needs the Node.js the README states, and nothing newer', () => {
  const stated = /Needs Node\.js (\d+\.\d+)\+ or (\d+\.\d+)\+ and no Rust/.exec(README)?.slice(1)
  assert.ok(stated, 'the Install section states the Node.js versions')
  const [older, newer] = stated
  const pkg = readJson('package.json')
  const range = `^${older}.0||>=${newer}.0`
  assert.equal(pkg.engines.node.replace(/\s/g, ''), range)
  // The one runtime dependency (@noble/hashes, for the Edge build) must accept them too.
  for (const name of Object.keys(pkg.dependencies ?? {})) {
    const accepted = readJson(`node_modules/${name}/package.json`).engines?.node
    for (const node of stated) assert.ok(accepted === undefined || satisfies(node, accepted), `${name} (${accepted}) refuses Node.js ${node}`)
  }
  for (const platform of readdirSync(new URL('npm/', root))) {
    assert.equal(readJson(`npm/${platform}/package.json`).engines.node.replace(/\s/g, ''), range, platform)
  }
})

test('npm start and npm test need the Node.js the README states: every devDependency accepts it', () => {
  const stated = /Both need Node\.js (\d+\.\d+)\+ or (\d+\.\d+)\+/.exec(README)?.slice(1)
  assert.ok(stated, 'the checkout section states Node.js versions')
  const tooOld = [`${Number(stated[0].split('.')[0]) - 1}.99.0`, `${stated[0].split('.')[0]}.0.0`]
  // The checkout runs the package itself, so it needs what the package needs too.
  const own = readJson('package.json').engines.node
  for (const node of stated) assert.ok(satisfies(node, own), `the package (${own}) refuses Node.js ${node}`)
  let needsStated = false
  for (const name of Object.keys(readJson('package.json').devDependencies)) {
    const range = readJson(`node_modules/${name}/package.json`).engines?.node
    if (!range) continue
    for (const node of stated) assert.ok(satisfies(node, range), `${name} (${range}) refuses Node.js ${node}`)
    needsStated ||= tooOld.some(node => !satisfies(node, range))
  }
  assert.ok(needsStated, 'some devDependency needs the stated version (else the README asks too much)')
  assert.ok(satisfies(process.versions.node, `>=${stated[0]}`), `these tests run on Node.js ${process.versions.node}`)
})
