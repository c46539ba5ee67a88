// A redis-server of the test's own on a free loopback port (never one the test did not start).
import { spawn, execFileSync } from 'node:child_process'
import { createServer, connect } from 'node:net'

/** A loopback port nothing listens on right now. */
export async function freePort() {
  const server = createServer().listen(0, '127.0.0.1')
  await new Promise(resolve => server.once('listening', resolve))
  const { port } = server.address()
  await new Promise(resolve => server.close(resolve))
  return port
}

function reachable(port) {
  return new Promise(resolve => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

export async function startRedis(t, port) {
  port ??= await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  })
  const exited = new Promise(resolve => child.once('exit', resolve))
  const redis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) child.kill('SIGKILL')
      await exited
    },
    /** Freezes redis-server (SIGSTOP): its sockets stay open but nothing answers. */
    pause() {
      child.kill('SIGSTOP')
    },
    /** Thaws a paused redis-server (SIGCONT). */
    resume() {
      child.kill('SIGCONT')
    },
    /** Any `redis-cli` command; its output, trimmed. */
    command(...args) {
      return execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).trim()
    },
    /** `XADD <stream> * payload <payload>`, as the Ruby SDK's redisx adapter does; the entry id. */
    xadd(stream, payload) {
      return execFileSync('redis-cli', ['-p', String(port), 'XADD', stream, '*', 'payload', payload], { encoding: 'utf8' }).trim()
    },
    /** `redis-cli PUBLISH`, as an application or an operator would. */
    publish(channel, payload) {
      return Number(execFileSync('redis-cli', ['-p', String(port), 'PUBLISH', channel, payload], { encoding: 'utf8' }).trim())
    },
  }
  t.after(() => redis.stop())
  const deadline = Date.now() + 5000
  while (!(await reachable(port))) {
    if (Date.now() > deadline) throw new Error('redis-server did not start')
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  return redis
}
