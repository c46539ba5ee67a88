import api from './index.js'

export const { TokenError, identificator, generateToken, verifyToken, signStream, verifyStream, broadcastKey } = api
export default api
