// @anycable/serverless-js 0.1.0 ships ESM with directory imports ('./rpc'), which bundlers accept
// and Node's ESM loader refuses. Preload this (node --import ./scripts/esm-dir-imports.mjs) to
// resolve such an import to its index.js, as a bundler would.
import { register } from 'node:module'

register(
  'data:text/javascript,' +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context)
  } catch (error) {
    if (error.code !== 'ERR_UNSUPPORTED_DIR_IMPORT') throw error
    return next(specifier.replace(/\\/?$/, '/index.js'), context)
  }
}`),
)
