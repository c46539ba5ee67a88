// Compiled with `tsc --noEmit --strict` by types.test.mjs: every public API, used as documented.
import anycable, {
  CableServer,
  TokenError,
  broadcastKey,
  rpcKey,
  broadcaster,
  signer,
  type IBroadcast,
  type IPayload,
  type IStreamSigner,
  createCableServer,
  generateToken,
  identificator,
  signStream,
  verifyStream,
  verifyToken,
  type CableServerFeatures,
  type CableServerStats,
  type CableServerMetrics,
  type Identificator,
  type ListenInfo,
  type ServerlessApplication,
  type StreamPresence,
  type TokenErrorCode,
  Application,
  Channel,
  ChannelHandle,
  ConnectionHandle,
  Status,
  handler,
  connectHandler,
  commandHandler,
  disconnectHandler,
  verifyRpcRequest,
  type ChannelParamsMap,
  type ChannelState,
  type CommandMessage,
  type CommandResponse,
  type ConnectionRequest,
  type ConnectionResponse,
  type DisconnectRequest,
  type DisconnectResponse,
  type Env,
  type EnvResponse,
  type IdentifiersMap,
  type ServerAction,
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
  const rpc: string = rpcKey('s')
  void rpc
  console.log(identifiers, fetched, valid, sync, seconds, checked, name, key)
}

async function broadcasting(): Promise<void> {
  const broadcast: IBroadcast = broadcaster('http://localhost:8080/_broadcast', broadcastKey('s'))
  await broadcast('chat/1', { text: 'hi' })
  await broadcast('chat/1', 'hi', { exclude_socket: 'sid', transient: true, broadcast_type: 'x' })
  const batched: IBroadcast = broadcaster('http://localhost:8080/_broadcast', undefined, { batch: true })
  await batched('chat/1', [1, 2])
  const payload: IPayload = { stream: 'chat/1', data: JSON.stringify('hi'), meta: { transient: true } }
  void payload
  const sign: IStreamSigner = signer('s')
  const signed: string = sign('chat/1')
  void signed
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
    metricsPath: '/metrics',
    metricsPort: 9394,
    metricsHost: '127.0.0.1',
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
  const metrics: CableServerMetrics | null = cable.metrics()
  if (metrics) {
    const slow: number = metrics.disconnect_total.too_slow
    const p99Bucket = metrics.broadcast_fanout_seconds.buckets.find(bucket => bucket.count >= 0.99 * metrics.broadcast_fanout_seconds.count)
    console.log(metrics.clients_num, slow, p99Bucket?.le, metrics.rpc_duration_seconds?.sum, info.metricsUrl)
  }
  console.log(redisHealthy)
  await cable.close()
  console.log(stats.connections, features.httpBroadcast, anycable.createCableServer === createCableServer)
}

type ChatIdentifiers = { userId: string }
type ChatParams = { roomId: string }
type ChatMessage = { username: string; body: string }
type ChatState = { sent: number }
type ChatClientActions = { sendMessage: (data: { body: string }) => Promise<void> }

class ChatChannel extends Channel<ChatIdentifiers, ChatParams, ChatMessage, ChatState> {
  async subscribed(handle: ChannelHandle<ChatIdentifiers, ChatState, ChatMessage>, params: ChatParams | null): Promise<void> {
    if (!params?.roomId) {
      handle.reject()
      return
    }
    handle.state = { sent: 0 }
    handle.streamFrom(`room:${params.roomId}`)
  }

  sendMessage: ServerAction<ChatClientActions['sendMessage'], ChatIdentifiers, ChatState, ChatMessage, ChatParams> = async (
    handle,
    params,
    data,
  ) => {
    handle.state.sent = (handle.state.sent ?? 0) + 1
    handle.transmit({ username: handle.identifiers?.userId ?? '', body: `${params.roomId}: ${data.body}` })
  }
}

class ChatApplication extends Application<ChatIdentifiers> {
  async connect(handle: ConnectionHandle<ChatIdentifiers>): Promise<void> {
    const userId = new URL(handle.env.url).searchParams.get('user_id')
    if (userId) handle.identifiedBy({ userId })
    else handle.reject()
  }
}

async function channels(request: Request): Promise<Response> {
  const app = new ChatApplication()
  app.registerChannel('chat', new ChatChannel())
  if (!verifyRpcRequest(request, 's')) return new Response(null, { status: 401 })
  const answer: ConnectionResponse | CommandResponse | DisconnectResponse = await handler(request, app)
  const connected: ConnectionResponse = await connectHandler(request, app)
  const commanded: CommandResponse = await commandHandler(request, app)
  const disconnected: DisconnectResponse = await disconnectHandler(request, app)
  const ok: boolean = connected.status === Status.SUCCESS && Status[commanded.status] === 'SUCCESS'
  const env: Env = { url: 'ws://x/cable', headers: { cookie: 'a=b' }, cstate: null }
  const changes: EnvResponse = new ConnectionHandle<ChatIdentifiers>('sid', env).identifiedBy({ userId: '1' }).envChanges
  const requests: [ConnectionRequest, CommandMessage, DisconnectRequest] = [
    { env },
    { command: 'subscribe', identifier: '{"channel":"chat"}', connection_identifiers: '{}', data: null, env },
    { identifiers: '{}', subscriptions: [], env },
  ]
  const params: ChannelParamsMap = { roomId: '1', page: 2, open: true }
  const state: ChannelState = { anything: [1] }
  const identifiers: IdentifiersMap = app.decodeIdentifiers('{"userId":"1"}')
  createCableServer({ secret: 's', application: app })
  console.log(answer, disconnected, ok, changes, requests, params, state, identifiers)
  return Response.json(answer)
}

export { tokens, broadcasting, server, channels }
