'use client'
// Gets a token from /api/cable-token, connects to the AnyCable server with @anycable/web, joins
// the `chat` channel (answered by app/api/anycable) and reads the signed notices stream.
import { createCable } from '@anycable/web'
import { useEffect, useRef, useState } from 'react'

export default function Chat({ room }) {
  const [state, setState] = useState('connecting')
  const [messages, setMessages] = useState([])
  const channel = useRef(null)

  useEffect(() => {
    const user = new URLSearchParams(location.search).get('user') ?? `guest-${Math.floor(Math.random() * 1e6)}`
    const add = message => setMessages(list => [...list, message])
    let cable
    let unmounted = false
    fetch(`/api/cable-token?user=${encodeURIComponent(user)}&room=${encodeURIComponent(room)}`)
      .then(response => response.json())
      .then(({ url, token, stream }) => {
        if (unmounted) return
        cable = createCable(`${url}?jid=${token}`)
        cable.streamFromSigned(stream).on('message', notice => add({ user: 'notice', body: notice.text }))
        channel.current = cable.subscribeTo('chat', { room })
        channel.current.on('message', add)
        channel.current.on('connect', () => setState(`joined ${room} as ${user}`))
      })
      .catch(error => setState(`failed: ${error.message}`))
    return () => {
      unmounted = true
      cable?.disconnect()
    }
  }, [room])

  const send = event => {
    event.preventDefault()
    const input = event.currentTarget.elements.body
    channel.current?.perform('speak', { body: input.value })
    input.value = ''
  }

  return (
    <section>
      <p id="state">{state}</p>
      <ul id="messages">
        {messages.map((message, index) => (
          <li key={index}>
            <b>{message.user}</b>: {message.body}
          </li>
        ))}
      </ul>
      <form onSubmit={send}>
        <input name="body" autoComplete="off" />
        <button>Send</button>
      </form>
    </section>
  )
}
