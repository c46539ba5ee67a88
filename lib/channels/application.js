'use strict'

const { ConnectionHandle } = require('./connection-handle.js')
const { parseJson, parseJsonObject } = require('./json.js')

const CHANNEL_CALLBACKS = ['subscribed', 'unsubscribed', 'handleAction']

/**
 * An application: channels by name, plus `connect` / `disconnect` to override. serverless-js's
 * `Application`; channel names are looked up among registered ones only (a Map), so a client
 * naming `constructor` or `__proto__` gets "not registered", not an inherited member.
 */
class Application {
  #channels = new Map()

  /** Serves `channel` (an instance: `new ChatChannel()`) for identifiers `{"channel":"<name>",…}`. */
  registerChannel(channelName, channel) {
    if (typeof channelName !== 'string' || channelName === '') throw new TypeError('channel name must be a non-empty string')
    if (typeof channel === 'function') throw new TypeError(`channel "${channelName}" must be an instance (new ${channel.name || 'MyChannel'}()), not a class`)
    if (channel === null || typeof channel !== 'object' || !CHANNEL_CALLBACKS.every(name => typeof channel[name] === 'function')) {
      throw new TypeError(`channel "${channelName}" must be a Channel (with ${CHANNEL_CALLBACKS.join(', ')})`)
    }
    this.#channels.set(channelName, channel)
  }

  /** The handle for one RPC call of session `id`. */
  buildHandle(id, env) {
    return new ConnectionHandle(id, env)
  }

  /**
   * Runs `connect` and adds the frame the client gets: `welcome`, or `disconnect` with
   * `unauthorized` when rejected, or with `token_expired` when `connect` threw an error whose `code`
   * is `ERR_JWT_EXPIRED` (jose's, and this package's `TokenError`'s), so AnyCable clients refresh
   * their token. Other errors propagate.
   */
  async handleOpen(handle) {
    try {
      await this.connect(handle)
    } catch (error) {
      if (error?.code !== 'ERR_JWT_EXPIRED') throw error
      handle.reject().transmit({ type: 'disconnect', reason: 'token_expired', reconnect: false })
      return
    }
    if (handle.rejected) handle.transmit({ type: 'disconnect', reason: 'unauthorized' })
    else handle.transmit({ type: 'welcome', sid: handle.id })
  }

  /** Authenticates a tokenless connection: override; `handle.identifiedBy(…)` or `handle.reject()`. */
  async connect(_handle) {}

  /** Runs `subscribe`, `unsubscribe` or `message` (`data` is the JSON with `action`) for `identifier`. */
  async handleCommand(handle, command, identifier, data) {
    const { channel, params } = this.findChannel(identifier)
    const channelHandle = handle.buildChannelHandle(identifier)
    if (command === 'subscribe') {
      await channel.subscribed(channelHandle, params)
      handle.transmit({ identifier, type: channelHandle.rejected ? 'reject_subscription' : 'confirm_subscription' })
    } else if (command === 'unsubscribe') {
      await channel.unsubscribed(channelHandle, params)
    } else if (command === 'message') {
      const { action, ...payload } = parseJsonObject(data, 'the message data')
      await channel.handleAction(channelHandle, params, action, payload)
    } else {
      throw new Error(`Unknown command: ${command}`)
    }
    handle.mergeChannelHandle(channelHandle)
  }

  /** The connection closed: `unsubscribed` for each of its `subscriptions`, then `disconnect`. */
  async handleClose(handle, subscriptions) {
    for (const identifier of subscriptions ?? []) {
      const { channel, params } = this.findChannel(identifier)
      await channel.unsubscribed(handle.buildChannelHandle(identifier), params)
    }
    await this.disconnect(handle)
  }

  /** Cleans up after a connection: override. */
  async disconnect(_handle) {}

  /** Identifiers as the string the server keeps (JSON); override with `decodeIdentifiers`. */
  encodeIdentifiers(identifiers) {
    return JSON.stringify(identifiers)
  }

  decodeIdentifiers(identifiers) {
    return parseJson(identifiers, 'the connection identifiers')
  }

  /** The channel and params of an identifier such as `{"channel":"chat","roomId":"42"}`. */
  findChannel(identifier) {
    const { channel: name, ...params } = parseJsonObject(identifier, 'the channel identifier')
    const channel = typeof name === 'string' ? this.#channels.get(name) : undefined
    if (!channel) throw new Error(`Channel ${name} is not registered`)
    return { channel, params }
  }
}

module.exports = { Application }
