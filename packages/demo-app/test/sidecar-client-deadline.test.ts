// The sidecar client's deadline and its one retry: a healthy sidecar is never reported down because
// this process was busy, or because the sidecar closed an idle kept-alive connection just as a
// request went out on it (both once made GET /config answer 503 beside a healthy sidecar).
import type { Socket } from 'node:net'
import { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { createSidecarClient } from '../src/sidecar-client.js'
import { listen, onCleanup } from '../../../test-support/servers.js'

/**
 * A sidecar in a worker thread, so it answers while this thread is blocked: it tells this thread
 * when a request arrived, and answers it `delayMs` later.
 */
async function sidecarInAWorker(delayMs: number): Promise<{ port: number; worker: Worker }> {
  const worker = new Worker(
    `
    const { createServer } = require('node:http')
    const { parentPort } = require('node:worker_threads')
    const server = createServer((req, res) => {
      parentPort.postMessage('request')
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-config-version': 'v1' })
        res.end('{"greeting":"hi"}')
      }, ${delayMs})
    })
    server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port))
    `,
    { eval: true },
  )
  onCleanup(async () => {
    await worker.terminate()
  })
  const port = await new Promise<number>((resolve) => worker.once('message', resolve))
  return { port, worker }
}

function blockFor(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // this thread is busy: no timer, no socket is looked at
  }
}

describe('the sidecar client', () => {
  it('takes an answer that arrived while this process was busy past the deadline', async () => {
    const { port, worker } = await sidecarInAWorker(20)
    const client = createSidecarClient(`http://127.0.0.1:${port}`, undefined, { timeoutMs: 200 })
    // The request reaches the sidecar; then this process is busy for twice the deadline, and the
    // sidecar's answer (20 ms later) waits in the socket. When the loop runs again the deadline
    // is due before the socket is read: the answer must win.
    worker.once('message', () => blockFor(400))
    const answer = await client.get('/config/?redact')
    expect(answer.status).toBe(200)
    expect(answer.body.toString()).toBe('{"greeting":"hi"}')
  })

  it('still gives up at the deadline when the sidecar does not answer', async () => {
    const { port } = await sidecarInAWorker(5000)
    const client = createSidecarClient(`http://127.0.0.1:${port}`, undefined, { timeoutMs: 200 })
    const started = performance.now()
    await expect(client.get('/config/?redact')).rejects.toMatchObject({ code: 'ETIMEDOUT' })
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('sends a GET once more when the sidecar closes the kept-alive connection under it', async () => {
    const seen: { socket: number; url: string | undefined }[] = []
    const sockets: Socket[] = []
    const { port } = await listen((req, res) => {
      if (!sockets.includes(req.socket)) sockets.push(req.socket)
      const socket = sockets.indexOf(req.socket)
      seen.push({ socket, url: req.url })
      // The second request on the first connection: the sidecar closes it, as a server does
      // when its keep-alive timeout ends just as a request arrives.
      if (socket === 0 && seen.filter((request) => request.socket === 0).length === 2) {
        req.socket.destroy()
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
    const client = createSidecarClient(`http://127.0.0.1:${port}`, undefined)
    expect((await client.get('/config/?redact')).status).toBe(200)
    expect((await client.get('/config/?redact')).status).toBe(200)
    expect(seen).toEqual([
      { socket: 0, url: '/config/?redact' },
      { socket: 0, url: '/config/?redact' },
      { socket: 1, url: '/config/?redact' },
    ])
  })
})
