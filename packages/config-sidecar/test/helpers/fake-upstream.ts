import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface RecordedRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage['headers']
  readonly body: string
}

export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse, body: string) => void

/**
 * A real HTTP server on 127.0.0.1:0 standing in for a config server; each test sets the behaviour
 * it needs (ok, 401, 500, slow, truncated, …) with `handle`. Every request is recorded.
 */
export interface FakeUpstream {
  readonly url: string
  readonly port: number
  readonly requests: RecordedRequest[]
  handle(handler: UpstreamHandler): void
  /** Refuses connections (closes the listener) until `up()`; existing sockets are destroyed. */
  down(): Promise<void>
  up(): Promise<void>
  close(): Promise<void>
}

export async function createFakeUpstream(
  handler: UpstreamHandler = (_req, res) => res.writeHead(404).end(),
): Promise<FakeUpstream> {
  let current = handler
  const requests: RecordedRequest[] = []
  const sockets = new Set<Socket>()
  let server: Server
  let port = 0

  const listen = async (): Promise<void> => {
    server = createServer((req, res) => {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (chunk: string) => (body += chunk))
      req.on('end', () => {
        requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
        current(req, res, body)
      })
    })
    server.on('connection', (socket: Socket) => {
      sockets.add(socket)
      socket.once('close', () => sockets.delete(socket))
    })
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  }
  const stop = async (): Promise<void> => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  await listen()
  return {
    get url() {
      return `http://127.0.0.1:${port}`
    },
    get port() {
      return port
    },
    requests,
    handle(next) {
      current = next
    },
    down: stop,
    up: listen,
    close: () => (server.listening ? stop() : Promise.resolve()),
  }
}

/** Answers JSON with a strong ETag and 304 to a matching If-None-Match. */
export function jsonWithEtag(body: unknown, etag: string): UpstreamHandler {
  return (req, res) => {
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag }).end()
      return
    }
    res.writeHead(200, { 'content-type': 'application/json', etag }).end(JSON.stringify(body))
  }
}
