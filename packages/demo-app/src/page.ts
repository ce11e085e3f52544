import { hash } from 'node:crypto'
import type { Readable } from 'node:stream'
import type express from 'express'
import type { Request, Response } from 'express'
import type { Logger } from './logger.js'
import type { SidecarClient } from './sidecar-client.js'
import { PAGE_HTML, PAGE_SCRIPT } from './page-html.js'

/** How often the relay asks the sidecar whether it is ready and fresh, while a page is open. */
const STATUS_EVERY_MS = 2000
/** Wait before the relay reconnects to the sidecar's stream. */
const RECONNECT_MS = 1000

interface PageStatus {
  readonly sidecar: 'ready' | 'not-ready' | 'unreachable'
  readonly stale: boolean
  readonly version: string | null
}

export interface Page {
  mount(app: express.Express): void
  close(): void
}

/**
 * The live page: `GET /` serves a static page and `GET /events` streams to it. The app holds one
 * stream from the sidecar (its redacted view, so no secret reaches the browser) for all open pages,
 * and sends each new page the latest config at once.
 */
export function mountPage(deps: { sidecar: SidecarClient; logger: Logger }): Page {
  const clients = new Set<Response>()
  let latestConfig: string | undefined
  let status: PageStatus = { sidecar: 'unreachable', stale: false, version: null }
  let upstream: Readable | undefined
  let connecting = false
  let statusTimer: NodeJS.Timeout | undefined
  let reconnectTimer: NodeJS.Timeout | undefined
  let closed = false

  const broadcast = (chunk: string): void => {
    for (const client of clients) client.write(chunk)
  }

  const connect = async (): Promise<void> => {
    if (closed || connecting || upstream !== undefined || clients.size === 0) return
    connecting = true
    try {
      const stream = await deps.sidecar.openStream('/config/?redact')
      upstream = stream
      let buffer = ''
      stream.setEncoding('utf8')
      stream.on('data', (chunk: string) => {
        buffer += chunk
        let end: number
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const event = parseEvent(block)
          if (event?.event === 'config') {
            latestConfig = `id: ${event.id ?? ''}\nevent: config\ndata: ${event.data}\n\n`
            broadcast(latestConfig)
          }
        }
      })
      const reconnect = (): void => {
        if (upstream !== stream) return
        upstream = undefined
        if (!closed) reconnectTimer = setTimeout(() => void connect(), RECONNECT_MS)
      }
      stream.once('end', reconnect)
      stream.once('close', reconnect)
      stream.once('error', reconnect)
    } catch {
      if (!closed) reconnectTimer = setTimeout(() => void connect(), RECONNECT_MS)
    } finally {
      connecting = false
    }
  }

  const pollStatus = async (): Promise<void> => {
    let next: PageStatus
    try {
      const answer = await deps.sidecar.get('/readyz')
      const body = JSON.parse(answer.body.toString('utf8')) as {
        stale?: unknown
        version?: unknown
      }
      next = {
        sidecar: answer.status === 200 ? 'ready' : 'not-ready',
        stale: body.stale === true,
        version: typeof body.version === 'string' ? body.version : null,
      }
    } catch {
      next = { sidecar: 'unreachable', stale: false, version: null }
    }
    if (JSON.stringify(next) !== JSON.stringify(status)) {
      status = next
      broadcast(`event: status\ndata: ${JSON.stringify(status)}\n\n`)
    }
  }

  const startStatus = (): void => {
    if (statusTimer !== undefined) return
    void pollStatus()
    statusTimer = setInterval(() => void pollStatus(), STATUS_EVERY_MS)
  }

  const stopIfIdle = (): void => {
    if (clients.size > 0) return
    clearInterval(statusTimer)
    statusTimer = undefined
    clearTimeout(reconnectTimer)
    upstream?.destroy()
    upstream = undefined
    latestConfig = undefined
  }

  return {
    mount(app) {
      app.get('/', (_req: Request, res: Response) => {
        res
          .set({
            'content-type': 'text/html; charset=utf-8',
            'cache-control': 'no-store',
            'content-security-policy': CSP,
          })
          .send(PAGE_HTML)
      })
      app.get('/events', (req: Request, res: Response) => {
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          'x-accel-buffering': 'no',
        })
        res.write('retry: 2000\n\n')
        res.write(`event: status\ndata: ${JSON.stringify(status)}\n\n`)
        if (latestConfig !== undefined) res.write(latestConfig)
        clients.add(res)
        req.once('close', () => {
          clients.delete(res)
          stopIfIdle()
        })
        startStatus()
        void connect()
      })
    },
    close() {
      closed = true
      for (const client of clients) client.end()
      clients.clear()
      stopIfIdle()
    },
  }
}

// The page loads nothing from elsewhere and runs only its own inline script (allowed by its hash).
const CSP = `default-src 'none'; script-src 'sha256-${hash('sha256', PAGE_SCRIPT, 'base64')}'; style-src 'unsafe-inline'; connect-src 'self'`

function parseEvent(
  block: string,
): { event: string; id: string | undefined; data: string } | undefined {
  let event = 'message'
  let id: string | undefined
  const data: string[] = []
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'event') event = value
    else if (field === 'id') id = value
    else if (field === 'data') data.push(value)
  }
  return data.length === 0 ? undefined : { event, id, data: data.join('\n') }
}
