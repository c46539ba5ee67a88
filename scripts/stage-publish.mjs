// The release workflow's publish job up to `npm publish`, on a scratch copy of the package: the
// binaries in npm/<platform>/ (what `napi artifacts` does) and its `napi prepublish` command, which
// rewrites package.json, run with --skip-optional-publish so that nothing reaches a registry.
import { execFileSync } from 'node:child_process'
import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import yaml from 'js-yaml'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const NAPI = createRequire(import.meta.url).resolve('@napi-rs/cli/package.json').replace(/package\.json$/, 'dist/cli.js')

/** The publish job's shell lines, in order. */
export function publishCommands() {
  const workflow = yaml.load(readFileSync(path.join(ROOT, '.github/workflows/release.yml'), 'utf8'))
  return workflow.jobs.publish.steps.flatMap(step => (step.run ?? '').split('\n').map(line => line.trim()).filter(Boolean))
}

/** The arguments the publish job gives `napi prepublish`. */
function prepublishArgs() {
  const command = publishCommands().find(line => line.startsWith('npx napi prepublish'))
  if (!command) throw new Error('the release workflow runs no `npx napi prepublish`')
  return command.split(/\s+/).slice(2)
}

/**
 * Copies into `dir` what the root package publishes (package.json's `files`, package.json, README)
 * and npm/, gives each npm/<platform>/ its binary (`binaries[platform]`, a path, or else a
 * placeholder file), and runs the workflow's `napi prepublish` there. Returns `dir`.
 */
export function stagePublish(dir, binaries = {}) {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
  for (const entry of [...pkg.files, 'package.json', 'README.md', 'npm']) {
    cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true })
  }
  for (const platform of readdirSync(path.join(dir, 'npm'))) {
    const binary = path.join(dir, 'npm', platform, `anycable-rs.${platform}.node`)
    if (binaries[platform]) cpSync(binaries[platform], binary)
    else writeFileSync(binary, 'a placeholder: prepublish only checks that the binary is there')
  }
  // No GITHUB_REPOSITORY: napi would otherwise look for a GitHub release to upload binaries to.
  const env = { ...process.env, GITHUB_REPOSITORY: '' }
  execFileSync(process.execPath, [NAPI, ...prepublishArgs(), '--skip-optional-publish'], { cwd: dir, env, stdio: 'pipe' })
  return dir
}
