import api from './index.js'

export const {
  TokenError,
  identificator,
  generateToken,
  verifyToken,
  signStream,
  verifyStream,
  broadcastKey,
  createCableServer,
  CableServer,
} = api
export default api
