// Keys AnyCable derives from the common secret: hex(HMAC_SHA256(secret, purpose)).

import { requireSecret } from './arguments.mjs'
import { HmacKeys, hex } from './hmac.mjs'
import { utf8 } from './text.mjs'

function derive(secret, purpose) {
  requireSecret(secret)
  return hex(new HmacKeys(secret).signSync('HS256', utf8(purpose)))
}

/** The HTTP broadcast key AnyCable derives from the common secret. */
export const broadcastKey = secret => derive(secret, 'broadcast-cable')

/** The key an AnyCable server sends to an RPC endpoint as `Authorization: Bearer <key>`. */
export const rpcKey = secret => derive(secret, 'rpc-cable')
