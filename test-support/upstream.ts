// The fake upstream: a real node:http server on 127.0.0.1:0 standing in for a config server or a
// token endpoint, friendly or hostile. Each test sets its behaviour with `handle` (a JSON answer, raw
// bytes, an ETag and 304s, a 401, a slow or truncated answer, garbage on the socket); every request
// is recorded, with its arrival time and body; connections are counted; `down` refuses connections
// until `up`.
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** A request as the upstream received it. */
export interface RecordedRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage['headers']
  /** When its head arrived (Date.now()). */
  readonly at: number
  /** The body, once it has been read (before the handler runs). */
  readonly body: string
}

/** What the upstream does with a request, once its body has been read. */
export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse, body: string) => void

export interface FakeUpstream {
  readonly url: string
  readonly port: number
  /** Every request so far, in the order they arrived. */
  readonly requests: RecordedRequest[]
  /** Connections accepted so far, and open now. */
  accepted(): number
  open(): number
  /** Sets the behaviour for the next requests. */
  handle(next: UpstreamHandler): void
  /** Refuses connections (closes the listener, destroys open sockets) until `up()`. */
  down(): Promise<void>
  /** Listens again, on the same port. */
  up(): Promise<void>
  close(): Promise<void>
}

/** Starts a fake upstream on 127.0.0.1, port 0; answers 404 until told otherwise. */
export async function startUpstream(
  handler: UpstreamHandler = (_req, res) => res.writeHead(404).end(),
): Promise<FakeUpstream> {
  let current = handler
  const requests: RecordedRequest[] = []
  const sockets = new Set<Socket>()
  let accepted = 0
  let server: Server | undefined
  let port = 0

  const listen = async (): Promise<void> => {
    const listening = createServer((req, res) => {
      const record = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        at: Date.now(),
        body: '',
      }
      requests.push(record)
      req.setEncoding('utf8')
      req.on('data', (chunk: string) => (record.body += chunk))
      req.on('end', () => current(req, res, record.body))
    })
    listening.on('connection', (socket: Socket) => {
      accepted += 1
      sockets.add(socket)
      socket.once('close', () => sockets.delete(socket))
    })
    await new Promise<void>((resolve) => listening.listen(port, '127.0.0.1', resolve))
    port = (listening.address() as AddressInfo).port
    server = listening
  }
  const stop = async (): Promise<void> => {
    const closing = server
    server = undefined
    if (closing === undefined) return
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => closing.close(() => resolve()))
  }

  await listen()
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    accepted: () => accepted,
    open: () => sockets.size,
    handle(next) {
      current = next
    },
    down: stop,
    up: listen,
    close: stop,
  }
}

/** Answers 200 with `body` as JSON (and a Content-Length), plus `headers`. */
export const json =
  (body: unknown, headers: Record<string, string> = {}): UpstreamHandler =>
  (_req, res) => {
    const text = JSON.stringify(body)
    res
      .writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        ...headers,
      })
      .end(text)
  }

/** Answers 200 with raw bytes and a content type (none when undefined). */
export const raw =
  (body: string | Buffer, contentType: string | undefined = 'application/json'): UpstreamHandler =>
  (_req, res) => {
    const headers: Record<string, string | number> = { 'content-length': Buffer.byteLength(body) }
    if (contentType !== undefined) headers['content-type'] = contentType
    res.writeHead(200, headers).end(body)
  }

/** Answers JSON with a strong ETag, and 304 to a matching If-None-Match. */
export function jsonWithEtag(body: unknown, etag: string): UpstreamHandler {
  return (req, res) => {
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag }).end()
      return
    }
    res.writeHead(200, { 'content-type': 'application/json', etag }).end(JSON.stringify(body))
  }
}
