// Compiled by types.test.mjs with the edge-light condition: 'anycable-rs' resolves to the Edge
// build's types (index.edge.d.mts): the token API with the native build's signatures, and
// nothing of the cable server.
import {
  TokenError,
  broadcastKey,
  broadcaster,
  generateToken,
  identificator,
  rpcKey,
  signStream,
  signer,
  verifyStream,
  verifyToken,
  type IBroadcast,
  type Identificator,
  type IStreamSigner,
} from 'anycable-rs'
// @ts-expect-error the cable server needs the native addon: not in the Edge build
import { createCableServer } from 'anycable-rs'

type User = { user_id: number }

const ids: Identificator<User> = identificator<User>('secret', '1h')
const token: string = await ids.generateToken({ user_id: 1 })
const user: User | null = await ids.verifyAndFetch(token)
const valid: true = await ids.verify(token)
const syncToken: string = ids.generateTokenSync({ user_id: 1 })
const syncUser: User = ids.verifyTokenSync(syncToken)

// The one-off helpers are sync, as in the native build.
const oneOff: string = generateToken({ user_id: 1 }, { secret: 'secret', ttl: 60, algorithm: 'HS384' })
const verified: User = verifyToken<User>(oneOff, { secret: 'secret' })
// @ts-expect-error generateToken takes its options, a secret at least
generateToken({ user_id: 1 })

const signed: string = signStream('chat/1', 'secret')
const name: string | null = verifyStream(signed, 'secret')
const sign: IStreamSigner = signer('secret')
const signedAgain: string = sign('chat/1')
const keys: [string, string] = [broadcastKey('secret'), rpcKey('secret')]
const broadcast: IBroadcast = broadcaster('http://localhost:8080/_broadcast', keys[0], { batch: true })

try {
  await verifyToken(token, { secret: 'secret' })
} catch (error) {
  if (error instanceof TokenError) console.log(error.reason, error.code)
}

export { user, valid, syncUser, verified, name, signedAgain, broadcast }
