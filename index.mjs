import api from './index.js'

export const {
  TokenError,
  identificator,
  generateToken,
  verifyToken,
  signStream,
  verifyStream,
  broadcastKey,
  broadcaster,
  signer,
  createCableServer,
  CableServer,
} = api
export default api
