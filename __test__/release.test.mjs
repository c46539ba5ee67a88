// The release workflow cannot run here; this keeps it consistent with the packages it publishes,
// and runs its `napi prepublish` step on a scratch copy to see what `npm publish` then ships.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import yaml from 'js-yaml'
import { publishCommands, stagePublish } from '../scripts/stage-publish.mjs'

const read = path => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8')
const readJson = path => JSON.parse(read(path))
const pkg = JSON.parse(read('package.json'))
const workflow = yaml.load(read('.github/workflows/release.yml'))

/** Rust target triple -> napi platform name, as napi's CLI names npm/ folders and binaries. */
const PLATFORMS = {
  'x86_64-unknown-linux-gnu': { dir: 'linux-x64-gnu', os: 'linux', cpu: 'x64', libc: 'glibc' },
  'x86_64-unknown-linux-musl': { dir: 'linux-x64-musl', os: 'linux', cpu: 'x64', libc: 'musl' },
  'aarch64-unknown-linux-gnu': { dir: 'linux-arm64-gnu', os: 'linux', cpu: 'arm64', libc: 'glibc' },
  'x86_64-apple-darwin': { dir: 'darwin-x64', os: 'darwin', cpu: 'x64' },
  'aarch64-apple-darwin': { dir: 'darwin-arm64', os: 'darwin', cpu: 'arm64' },
  'x86_64-pc-windows-msvc': { dir: 'win32-x64-msvc', os: 'win32', cpu: 'x64' },
}

/**
 * Whether an `engines.node` range accepts the newest release of Node `major`: the forms the cross
 * toolchain's packages use (`*`, `>= x`, `^x.y`, `||`); any other fails the test, not guessed at.
 */
function acceptsNewestOfMajor(range, major) {
  return range.split('||').some(alternative => {
    if (alternative.trim() === '*') return true
    const match = /^\s*(>=|\^)\s*(\d+)(?:\.\d+){0,2}\s*$/.exec(alternative)
    assert.ok(match, `an engines range this test understands: "${range}"`)
    return match[1] === '>=' ? major >= Number(match[2]) : major === Number(match[2])
  })
}

test('the workflow publishes on version tags, after every target built and the tests passed', () => {
  assert.deepEqual(workflow.on.push.tags, ['v*'])
  const { build, test: tests, publish } = workflow.jobs
  assert.ok(build && tests && publish)
  assert.deepEqual([...publish.needs].sort(), ['build', 'test'])
  assert.match(publish.if, /refs\/tags\/v/)
  // Binaries into npm/<platform>/, then prepublish (platform packages, optionalDependencies), then the root.
  const commands = publishCommands()
  const order = [/^npx napi artifacts/, /^npx napi prepublish/, /^npm publish/].map(step => commands.findIndex(line => step.test(line)))
  assert.ok(order.every((index, i) => index >= 0 && (i === 0 || index > order[i - 1])), commands.join('\n'))
  assert.ok(tests.steps.some(step => step.run === 'bash .ci/run'))
})

test('every install in the workflow is npm ci', () => {
  const installs = Object.values(workflow.jobs)
    .flatMap(job => job.steps)
    .map(step => step.run ?? '')
    .filter(run => /^npm (install|i|ci)\b/.test(run))
  assert.ok(installs.length >= 2)
  for (const run of installs) assert.match(run, /^npm ci\b/)
})

test('every target in package.json is built, and has its npm package', () => {
  const matrix = workflow.jobs.build.strategy.matrix.include
  assert.deepEqual(matrix.map(entry => entry.target).sort(), [...pkg.napi.targets].sort())
  assert.deepEqual([...pkg.napi.targets].sort(), Object.keys(PLATFORMS).sort())
  for (const { target, build } of matrix) {
    assert.match(build, new RegExp(`napi build --platform --release --target ${target}`))
  }
  for (const [target, { dir, os, cpu, libc }] of Object.entries(PLATFORMS)) {
    const platform = JSON.parse(read(`npm/${dir}/package.json`))
    assert.equal(platform.name, `anycable-rs-${dir}`, target)
    assert.equal(platform.version, pkg.version)
    assert.equal(platform.main, `anycable-rs.${dir}.node`)
    assert.deepEqual(platform.os, [os])
    assert.deepEqual(platform.cpu, [cpu])
    assert.deepEqual(platform.libc, libc && [libc])
  }
})

test('the source tree names no platform package; publishing adds one per target', { timeout: 120_000 }, t => {
  // npm ci on a clone would look the unpublished platform packages up and refuse the lockfile.
  assert.equal(pkg.optionalDependencies, undefined)
  const scratch = mkdtempSync(path.join(tmpdir(), 'anycable-rs-release-'))
  t.after(() => rmSync(scratch, { recursive: true, force: true }))
  const published = JSON.parse(readFileSync(path.join(stagePublish(scratch), 'package.json'), 'utf8'))
  const { optionalDependencies, ...rest } = published
  assert.deepEqual(
    optionalDependencies,
    Object.fromEntries(Object.values(PLATFORMS).map(({ dir }) => [`anycable-rs-${dir}`, pkg.version])),
  )
  assert.deepEqual(rest, pkg, 'prepublish changes nothing else')
})

test('the -gnu binaries are checked against the glibc baseline the README states', () => {
  const baseline = workflow.env.GLIBC_BASELINE
  assert.match(baseline, /^2\.\d+$/)
  const install = read('README.md').split('\n## ').find(section => section.startsWith('Install\n'))
  assert.equal(/glibc (\d+\.\d+) or newer/.exec(install)?.[1], baseline, 'the Install section states the baseline')
  // napi's cross toolchain is what pins the build to 2.17; the check below catches any drift.
  const gnu = workflow.jobs.build.strategy.matrix.include.filter(({ target }) => target.endsWith('-linux-gnu'))
  assert.equal(gnu.length, 2)
  for (const { build } of gnu) assert.match(build, /--use-napi-cross/)

  const steps = workflow.jobs.build.steps
  // The cross toolchain's own packages load on the build job's Node (npm skips a native optional
  // dependency whose engines refuse it, and the toolchain then fails to unpack).
  const node = String(steps.find(step => step.uses?.startsWith('actions/setup-node')).with['node-version'])
  assert.match(node, /^\d+$/, 'a major version, which setup-node resolves to its newest release')
  const toolchain = readJson('node_modules/@napi-rs/cross-toolchain/package.json')
  for (const name of Object.keys(toolchain.dependencies)) {
    const range = readJson(`node_modules/${name}/package.json`).engines?.node ?? '*'
    assert.ok(acceptsNewestOfMajor(range, Number(node)), `${name} (${range}) on the newest Node ${node}`)
  }
  const built = steps.findIndex(step => step.name === 'Build')
  const check = steps.findIndex(step => (step.run ?? '').startsWith('bash scripts/glibc-max.sh '))
  assert.ok(built >= 0 && check > built, 'the check runs after the build')
  assert.equal(steps[check].if, "${{ endsWith(matrix.target, 'linux-gnu') }}")
  const [, , glob, argument] = steps[check].run.split(' ')
  assert.equal(argument, '"$GLIBC_BASELINE"')
  // The glob names each -gnu build's binary and no other.
  const matches = new RegExp(`^${glob.replaceAll('.', '\\.').replaceAll('*', '[^/]*')}$`)
  for (const [target, { dir }] of Object.entries(PLATFORMS)) {
    assert.equal(matches.test(`anycable-rs.${dir}.node`), target.endsWith('-linux-gnu'), target)
  }
})
