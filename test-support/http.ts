// Plain HTTP for tests, where fetch() will not do: `rawRequest` sends any header (a foreign Host,
// no Authorization), any request target as written (`..` kept) and opens a connection of its own
// every time (no pooling, so counts and timings are exact); `openEventStream` keeps a Server-Sent
// Events stream open and parses what arrives. `errorCode` reads the code of a JSON error body.
import { request } from 'node:http'
import type { ClientRequest, IncomingHttpHeaders } from 'node:http'

/** A whole answer, read as UTF-8, with the milliseconds it took. */
export interface RawResponse {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: string
  readonly ms: number
}

/**
 * One request on a connection of its own. `path` sends that request target instead of the URL's
 * (exactly as written); the request fails after `timeoutMs` (5 s) without an answer.
 */
export function rawRequest(
  url: string,
  options: {
    method?: string
    headers?: Record<string, string>
    body?: string
    path?: string
    timeoutMs?: number
  } = {},
): Promise<RawResponse> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        agent: false,
        timeout: options.timeoutMs ?? 5000,
        ...(options.path === undefined ? {} : { path: options.path }),
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            ms: Date.now() - started,
          }),
        )
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} in time`)))
    req.on('error', reject)
    req.end(options.body)
  })
}

/** The `error.code` of a JSON error body, or undefined. */
export function errorCode(answer: { readonly body: string }): string | undefined {
  try {
    return (JSON.parse(answer.body) as { error?: { code?: string } }).error?.code
  } catch {
    return undefined
  }
}

/** One Server-Sent Event. */
export interface ServerEvent {
  readonly event: string
  readonly id: string | undefined
  readonly data: string
}

/** An event stream kept open. */
export interface EventStream {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  /** The text received so far (only its last part with `tailBytes`). */
  text(): string
  /** Every event in `text()`, parsed. */
  events(): ServerEvent[]
  /** The next event that `next` has not returned yet; rejects after `timeoutMs` (5 s). */
  next(timeoutMs?: number): Promise<ServerEvent>
  /** True once the connection has closed, from either side. */
  closed(): boolean
  /** Closes the connection. */
  close(): void
}

function parseEvent(block: string): ServerEvent | undefined {
  let event = 'message'
  let id: string | undefined
  const data: string[] = []
  for (const line of block.split('\n')) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const field = line.slice(0, colon)
    const value = line.slice(colon + 1).replace(/^ /, '')
    if (field === 'event') event = value
    else if (field === 'id') id = value
    else if (field === 'data') data.push(value)
  }
  return data.length > 0 ? { event, id, data: data.join('\n') } : undefined
}

/**
 * Opens a GET with `Accept: text/event-stream` (plus `headers`) and resolves once the answer's head
 * has arrived. With `tailBytes`, only the last part of the text is kept (a stream of hundreds of
 * MiB); `next` still sees every event that was kept when it is called.
 */
export function openEventStream(
  url: string,
  options: { headers?: Record<string, string>; tailBytes?: number } = {},
): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const req: ClientRequest = request(
      url,
      { headers: { accept: 'text/event-stream', ...options.headers }, agent: false },
      (res) => {
        let text = ''
        // Where `next` goes on reading, as an index into `text`.
        let cursor = 0
        let wake: (() => void) | undefined
        let ended = false
        res.setEncoding('utf8').on('data', (chunk: string) => {
          text += chunk
          const tail = options.tailBytes
          if (tail !== undefined && text.length > 4 * tail) {
            const cut = text.length - tail
            text = text.slice(cut)
            cursor = Math.max(0, cursor - cut)
          }
          wake?.()
        })
        res.on('error', () => undefined)
        res.on('close', () => {
          ended = true
          wake?.()
        })
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: () => text,
          events: () =>
            text
              .split('\n\n')
              .slice(0, -1)
              .map(parseEvent)
              .filter((event) => event !== undefined),
          async next(timeoutMs = 5000) {
            const deadline = Date.now() + timeoutMs
            for (;;) {
              let end: number
              while ((end = text.indexOf('\n\n', cursor)) !== -1) {
                const block = text.slice(cursor, end)
                cursor = end + 2
                const event = parseEvent(block)
                if (event !== undefined) return event
              }
              if (ended) throw new Error('stream ended')
              const remaining = deadline - Date.now()
              if (remaining <= 0) throw new Error('no event in time')
              await new Promise<void>((done) => {
                const timer = setTimeout(done, remaining)
                wake = () => {
                  clearTimeout(timer)
                  done()
                }
              })
              wake = undefined
            }
          },
          closed: () => ended,
          close: () => req.destroy(),
        })
      },
    )
    req.once('error', reject)
    req.end()
  })
}
