// The package entry on Edge runtimes (the edge-light, workerd, worker, browser and deno export
// conditions): the token API and HTTP broadcasting without the native addon or Node built-ins.
// The async token methods sign with WebCrypto, the sync helpers with @noble/hashes; both give
// the native build's tokens. Types: index.edge.d.mts.

export { TokenError } from './lib/edge/token-error.mjs'
export { identificator } from './lib/edge/identificator.mjs'
export { generateToken, verifyToken } from './lib/edge/one-off.mjs'
export { signStream, verifyStream, signer } from './lib/edge/streams.mjs'
export { broadcastKey, rpcKey } from './lib/edge/keys.mjs'
export { broadcaster } from './lib/edge/broadcaster.mjs'
