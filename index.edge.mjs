// The package entry on Edge runtimes (the edge-light, workerd, worker, browser and deno export
// conditions): the token API with WebCrypto and HTTP broadcasting, no native addon, no Node
// built-ins. Everything that signs is async here; see index.edge.d.mts and the README.

export { TokenError } from './lib/edge/token-error.mjs'
export { identificator } from './lib/edge/identificator.mjs'
export { generateToken, verifyToken } from './lib/edge/one-off.mjs'
export { signStream, verifyStream, signer } from './lib/edge/streams.mjs'
export { broadcastKey, rpcKey } from './lib/edge/keys.mjs'
export { broadcaster } from './lib/edge/broadcaster.mjs'
