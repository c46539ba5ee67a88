import api from './index.js'

export const {
  TokenError,
  identificator,
  generateToken,
  verifyToken,
  signStream,
  verifyStream,
  broadcastKey,
  rpcKey,
  broadcaster,
  signer,
  createCableServer,
  CableServer,
  Status,
  ConnectionHandle,
  ChannelHandle,
  Channel,
  Application,
  handler,
  connectHandler,
  commandHandler,
  disconnectHandler,
  verifyRpcRequest,
} = api
export default api
