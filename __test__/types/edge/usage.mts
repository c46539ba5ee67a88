// Compiled by types.test.mjs with the edge-light condition: 'anycable-rs' resolves to the Edge
// build's types (index.edge.d.mts), whose helpers are async.
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

type User = { user_id: number }

const ids: Identificator<User> = identificator<User>('secret', '1h')
const token: string = await ids.generateToken({ user_id: 1 })
const user: User | null = await ids.verifyAndFetch(token)
const valid: true = await ids.verify(token)
// @ts-expect-error the sync variants throw on Edge runtimes and return nothing usable
const never: string = ids.generateTokenSync({ user_id: 1 }).length

const oneOff: string = await generateToken({ user_id: 1 }, { secret: 'secret', ttl: 60, algorithm: 'HS384' })
// @ts-expect-error one-off generateToken is async here
const notSync: string = generateToken({ user_id: 1 }, { secret: 'secret' })
const verified: User = await verifyToken<User>(oneOff, { secret: 'secret' })

const signed: string = await signStream('chat/1', 'secret')
const name: string | null = await verifyStream(signed, 'secret')
const sign: IStreamSigner = signer('secret')
const signedAgain: Promise<string> = sign('chat/1')
const keys: [string, string] = [await broadcastKey('secret'), await rpcKey('secret')]
const broadcast: IBroadcast = broadcaster('http://localhost:8080/_broadcast', keys[0], { batch: true })

try {
  await verifyToken(token, { secret: 'secret' })
} catch (error) {
  if (error instanceof TokenError) console.log(error.reason, error.code)
}

export { user, valid, never, notSync, verified, name, signedAgain, broadcast }
