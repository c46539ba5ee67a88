// Installs a copy of examples/nextjs (by default the example itself) with this checkout's
// anycable-rs as a user's `npm install` gets it: the root package and this platform's binary
// package, packed as the release workflow publishes them. Not a link to the checkout: Next.js
// treats only packages inside node_modules as serverExternalPackages, so a symlinked checkout
// would be bundled, addon and all, and the build would fail.
//   npm run example:nextjs [-- <app dir>]
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { npm, packLocalBuild } from './pack-local.mjs'

const EXAMPLE = fileURLToPath(new URL('../examples/nextjs/', import.meta.url))

/** Runs `npm install` in `app` with the packed package in place of the registry's `anycable-rs`. */
export function installExample(app = EXAMPLE) {
  const scratch = mkdtempSync(path.join(tmpdir(), 'anycable-rs-pack-'))
  try {
    const { rootTarball, platformTarball } = packLocalBuild(scratch)
    npm(['install', '--no-save', rootTarball, platformTarball], app)
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const app = path.resolve(process.argv[2] ?? EXAMPLE)
  installExample(app)
  console.log(`installed ${app}; next: cd ${path.relative(process.cwd(), app) || '.'} && export ANYCABLE_SECRET=dev-secret && npm run build && (npm run cable &) && npm start`)
}
