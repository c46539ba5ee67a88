// Types of the Edge build (index.edge.mjs), which the edge-light, workerd, worker, browser and
// deno export conditions select: the token API and broadcaster of index.d.ts, with the same
// signatures (sync helpers included), and none of the cable server.
export type {
  Identifiers,
  Ttl,
  TokenErrorReason,
  TokenErrorCode,
  Identificator,
  IIdentificator,
  GenerateTokenOptions,
  Algorithm,
  IMetadata,
  IPayload,
  IBroadcast,
  BroadcasterOptions,
  IStreamSigner,
} from './index.js'
export { TokenError, identificator, generateToken, verifyToken, signStream, verifyStream, signer, broadcastKey, rpcKey, broadcaster } from './index.js'
