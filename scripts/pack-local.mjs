// The package as the release workflow publishes it, packed with `npm pack`, for tests that install
// it into a project as a user's `npm install` does; npm runs without Rust on PATH, as on a
// serverless build machine.
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { targetOf } from '../lib/platform.js'
import { stagePublish } from './stage-publish.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const TARGET = targetOf()

const PATH_WITHOUT_RUST = process.env.PATH.split(path.delimiter)
  .filter(dir => !/cargo|rustup/.test(dir))
  .join(path.delimiter)
/** The environment of a machine without cargo, rustc or rustup. */
export const ENV = { ...process.env, PATH: PATH_WITHOUT_RUST, npm_config_audit: 'false', npm_config_fund: 'false' }

export function npm(args, cwd) {
  return execFileSync('npm', args, { cwd, env: ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

function pack(dir, destination) {
  const [{ filename }] = JSON.parse(npm(['pack', '--json', '--pack-destination', destination], dir))
  return path.join(destination, filename)
}

/**
 * Stages the publish in `scratch/published` with this machine's build as this platform's binary
 * (the other platforms get placeholders, never installed) and packs the root package and this
 * platform's package into `scratch`.
 */
export function packLocalBuild(scratch) {
  const published = path.join(scratch, 'published')
  mkdirSync(published)
  stagePublish(published, { [TARGET]: path.join(ROOT, `anycable-rs.${TARGET}.node`) })
  return { rootTarball: pack(published, scratch), platformTarball: pack(path.join(published, 'npm', TARGET), scratch) }
}
