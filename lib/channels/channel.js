'use strict'

/**
 * Names a client can never call as actions: the callbacks the server calls itself. Everything on
 * `Channel.prototype` and `Object.prototype` is out of reach too (see `actionOf`).
 */
const RESERVED = new Set(['constructor', 'subscribed', 'unsubscribed', 'handleAction'])

/**
 * The method a client may call as `action` on `channel`: a function defined by the user's channel
 * class, on its own prototype chain below `Channel` (or an own function-valued field, such as an
 * arrow-function class field). Never a callback, `constructor`, or anything from `Channel.prototype`
 * or `Object.prototype` (`toString`, `__proto__`, `hasOwnProperty`…); getters are not actions.
 */
function actionOf(channel, action) {
  if (typeof action !== 'string' || RESERVED.has(action)) return undefined
  const own = Object.getOwnPropertyDescriptor(channel, action)
  if (own) return typeof own.value === 'function' ? own.value : undefined
  for (let proto = Object.getPrototypeOf(channel); proto && proto !== Channel.prototype && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const defined = Object.getOwnPropertyDescriptor(proto, action)
    if (defined) return typeof defined.value === 'function' ? defined.value : undefined
  }
  return undefined
}

/**
 * A channel: extend it, override `subscribed` / `unsubscribed`, and add a method per action a
 * client may `perform` (`async sendMessage(handle, params, data)`). serverless-js's `Channel`, except
 * that only methods of the subclass are actions.
 */
class Channel {
  /** Called on `subscribe`; `handle.reject()` refuses it, `handle.streamFrom(name)` streams. */
  async subscribed(_handle, _params) {}

  /** Called on `unsubscribe` and for each subscription when the connection closes. */
  async unsubscribed(_handle, _params) {}

  /**
   * Runs `action` with `(handle, params, payload)`; an Error `Unknown action: <name>` when the
   * subclass defines no such method.
   */
  async handleAction(handle, params, action, payload) {
    const method = actionOf(this, action)
    if (!method) throw new Error(`Unknown action: ${action}`)
    await method.call(this, handle, params, payload)
  }
}

module.exports = { Channel }
