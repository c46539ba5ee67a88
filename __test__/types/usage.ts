// Compiled with `tsc --noEmit --strict` by types.test.mjs: every public API, used as documented.
import anycable, {
  CableServer,
  TokenError,
  broadcastKey,
  createCableServer,
  generateToken,
  identificator,
  signStream,
  verifyStream,
  verifyToken,
  type CableServerFeatures,
  type CableServerStats,
  type Identificator,
  type ListenInfo,
  type ServerlessApplication,
  type StreamPresence,
  type TokenErrorCode,
  type TokenErrorReason,
} from 'anycable-rs'

type User = { user_id: number }

async function tokens(): Promise<void> {
  const jwt: Identificator<User> = identificator<User>('secret', '1h')
  const token: string = await jwt.generateToken({ user_id: 1 })
  const identifiers: User | null = await jwt.verifyToken(token)
  const fetched: User | null = await jwt.verifyAndFetch(token)
  const valid: true = await jwt.verify(token)
  const sync: User = jwt.verifyTokenSync(jwt.generateTokenSync({ user_id: 2 }))
  const seconds: number = jwt.ttl
  const oneOff: string = generateToken({ user_id: 3 }, { secret: 's', ttl: 60, algorithm: 'HS512' })
  generateToken({ user_id: 3 }, { secret: 's', expiresAt: new Date() })
  const checked = verifyToken<User>(oneOff, { secret: 's' })
  try {
    verifyToken(oneOff, { secret: 'other' })
  } catch (error) {
    if (error instanceof TokenError) {
      const code: TokenErrorCode = error.code
      const reason: TokenErrorReason = error.reason
      console.log(code, reason, error.message)
    }
  }
  const signed: string = signStream('chat/1', 's')
  const name: string | null = verifyStream(signed, 's')
  const key: string = broadcastKey('s')
  console.log(identifiers, fetched, valid, sync, seconds, checked, name, key)
}

async function server(application: ServerlessApplication): Promise<void> {
  const cable: CableServer = createCableServer({
    port: 0,
    secret: 's',
    publicStreams: true,
    allowedOrigins: ['*.example.com'],
    pingInterval: 3,
    application,
    rpcTimeout: 2,
    redisUrl: 'redis://localhost:6379',
    broadcastAdapter: 'redis',
    pubsub: 'redis',
  })
  const info: ListenInfo = await cable.listen()
  cable.broadcast('chat/1', { text: 'hi', url: info.url })
  cable.broadcast('chat/1', { typing: true }, { transient: true, excludeSocket: 'sid' })
  const present: StreamPresence = await cable.presence('chat/1')
  const ids: string[] = present.records.map(record => record.id)
  console.log(present.total, ids)
  const stats: CableServerStats = cable.stats()
  const features: CableServerFeatures = cable.features()
  const redisHealthy: boolean = (stats.redisConnected ?? false) && (stats.redisDropped ?? 0) === 0
  console.log(redisHealthy)
  await cable.close()
  console.log(stats.connections, features.httpBroadcast, anycable.createCableServer === createCableServer)
}

export { tokens, server }
