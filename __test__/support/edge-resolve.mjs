// Package specifiers resolved as an Edge bundler resolves them: through `exports` with the Edge
// conditions and `import`, never `node` or `require` (Node's own resolver always applies `node`,
// which sends @noble/hashes/crypto to a node:crypto file an Edge runtime never loads).
import { readFileSync } from 'node:fs'

const root = new URL('../../', import.meta.url)
const EDGE_CONDITIONS = ['edge-light', 'workerd', 'worker', 'browser', 'deno', 'import', 'default']

/** The target of an `exports` entry under the Edge conditions (first matching key wins, as in Node). */
function target(entry) {
  if (typeof entry === 'string') return entry
  for (const [condition, inner] of Object.entries(entry ?? {})) {
    if (EDGE_CONDITIONS.includes(condition)) {
      const found = target(inner)
      if (found !== undefined) return found
    }
  }
  return undefined
}

/** The file URL of `specifier` (`@scope/name/subpath` or `name/subpath`) installed in node_modules. */
export function resolveForEdge(specifier) {
  const parts = specifier.split('/')
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
  const subpath = `.${specifier.slice(name.length)}`
  const packageUrl = new URL(`node_modules/${name}/`, root)
  const { exports } = JSON.parse(readFileSync(new URL('package.json', packageUrl), 'utf8'))
  const file = target(exports?.[subpath])
  if (file === undefined) throw new Error(`${specifier} is not exported for Edge conditions`)
  return new URL(file, packageUrl).href
}
