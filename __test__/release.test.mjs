// The release workflow cannot run here; this keeps it consistent with the packages it publishes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import yaml from 'js-yaml'

const read = path => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8')
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

test('the workflow publishes on version tags, after every target built and the tests passed', () => {
  assert.deepEqual(workflow.on.push.tags, ['v*'])
  const { build, test: tests, publish } = workflow.jobs
  assert.ok(build && tests && publish)
  assert.deepEqual([...publish.needs].sort(), ['build', 'test'])
  assert.match(publish.if, /refs\/tags\/v/)
  const steps = publish.steps.map(step => step.run ?? '').join('\n')
  assert.match(steps, /napi artifacts/)
  assert.match(steps, /napi prepublish/)
  assert.match(steps, /npm publish/)
  assert.ok(tests.steps.some(step => step.run === 'bash .ci/run'))
})

test('every target in package.json is built, and has its npm package and optional dependency', () => {
  const matrix = workflow.jobs.build.strategy.matrix.include
  assert.deepEqual(matrix.map(entry => entry.target).sort(), [...pkg.napi.targets].sort())
  assert.deepEqual([...pkg.napi.targets].sort(), Object.keys(PLATFORMS).sort())
  for (const { target, build } of matrix) {
    assert.match(build, new RegExp(`napi build --platform --release --target ${target}`))
  }
  const optional = Object.keys(pkg.optionalDependencies).sort()
  assert.deepEqual(optional, Object.values(PLATFORMS).map(({ dir }) => `anycable-rs-${dir}`).sort())
  for (const [target, { dir, os, cpu, libc }] of Object.entries(PLATFORMS)) {
    const platform = JSON.parse(read(`npm/${dir}/package.json`))
    assert.equal(platform.name, `anycable-rs-${dir}`, target)
    assert.equal(platform.version, pkg.version)
    assert.equal(pkg.optionalDependencies[platform.name], pkg.version)
    assert.equal(platform.main, `anycable-rs.${dir}.node`)
    assert.deepEqual(platform.os, [os])
    assert.deepEqual(platform.cpu, [cpu])
    assert.deepEqual(platform.libc, libc && [libc])
  }
})
