import Chat from './chat'

export default function Page() {
  return (
    <main>
      <h1>anycable-rs + Next.js</h1>
      <Chat room="lobby" />
    </main>
  )
}
