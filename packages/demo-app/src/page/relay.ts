// The page's live relay: ONE event stream from the sidecar's REDACTED view, fanned out to every
// open page (GET /events), plus the sidecar's status every few seconds while a page is open. The
// sidecar's `changes` event (the paths a change named, never a value) goes out just before the
// `config` event it describes, and the last few are kept for the first paint.
// Memory stays bounded: at most `maxClients` streams (the route answers 503 beyond), and a client
// whose unsent buffer passes `maxBufferedBytes` (it does not read) is dropped.
// Holds: createRelay. May import: node built-ins, ./badges.js, types from ../sidecar-client.js and
//   ../sidecar-state.js, @sample/shared. Never express (it writes to node:http responses), never got.
import { CONFIG_HEADERS, SIDECAR_PATHS } from '@sample/shared'
import type { ServerResponse } from 'node:http'
import type { Readable } from 'node:stream'
import type { Logger } from '@sample/shared'
import type { SidecarClient } from '../sidecar-client.js'
import type { SidecarState, SidecarStatus } from '../sidecar-state.js'
import { badges } from './badges.js'

export interface RelayOptions {
  /** Most page streams open at once. */
  readonly maxClients: number
  /** A client with more unsent bytes than this when the next event is due is dropped. */
  readonly maxBufferedBytes: number
  /** How often the sidecar's status is asked while a page is open. */
  readonly statusEveryMs: number
}

/** The redacted config as the page shows it. */
export interface PageConfig {
  /** The redacted view, as JSON text. */
  readonly json: string
  /** The redacted view's ETag (not the full view's). */
  readonly etag: string | null
}

/** One change as the page lists it: when the relay heard of it, and the paths it named. */
export interface PageChange {
  /** ISO time. */
  readonly at: string
  readonly added: readonly string[]
  readonly removed: readonly string[]
  readonly changed: readonly string[]
}

/** How many changes the relay keeps for the first paint. */
export const RECENT_CHANGES = 5

/** Everything the first paint needs. */
export interface PageView {
  readonly config: PageConfig | undefined
  readonly status: SidecarStatus
  readonly version: string | null
  /** The last few changes heard while following the sidecar, newest first. */
  readonly changes: readonly PageChange[]
}

export interface Relay {
  /** Starts a page stream on `res`; false (nothing written) when `maxClients` are open already. */
  add(res: ServerResponse): boolean
  /** The current config and status: the relay's own while it follows the sidecar, else asked now. */
  view(): Promise<PageView>
  close(): void
}

/** Wait before the relay reconnects to the sidecar's stream. */
const RECONNECT_MS = 1000
/** An event from the sidecar longer than this is not one (its documents are at most 4 MiB). */
const MAX_EVENT_BYTES = 16 * 1024 * 1024

export function createRelay(deps: {
  readonly sidecar: SidecarClient
  readonly state: SidecarState
  readonly logger: Logger
  readonly options: RelayOptions
}): Relay {
  const { sidecar, state, logger, options } = deps
  const clients = new Set<ServerResponse>()
  let config: (PageConfig & { readonly event: string }) | undefined
  let status: SidecarStatus | undefined
  let statusEvent: string | undefined
  let upstream: Readable | undefined
  let connecting = false
  let statusTimer: NodeJS.Timeout | undefined
  let reconnectTimer: NodeJS.Timeout | undefined
  let configPending = false
  /** The `changes` event that goes out with the next `config` event. */
  let changesEvent: string | undefined
  let recent: PageChange[] = []
  let closed = false

  /** Writes to one client, or drops it when it has not taken what it was sent before. */
  const send = (client: ServerResponse, chunk: string): void => {
    if (client.writableLength > options.maxBufferedBytes) {
      logger.warn('dropped a page stream that does not read', {
        unsentBytes: client.writableLength,
        limit: options.maxBufferedBytes,
      })
      clients.delete(client)
      client.destroy()
      return
    }
    client.write(chunk)
  }
  const broadcast = (chunk: string): void => {
    for (const client of clients) send(client, chunk)
    stopIfIdle()
  }

  const onEvent = (block: string): void => {
    const event = parseEvent(block)
    if (event === undefined || clients.size === 0) return
    if (event.event === 'changes') {
      const change = pageChange(event.data)
      if (change === undefined) return
      recent = [change, ...recent].slice(0, RECENT_CHANGES)
      changesEvent = `event: changes\n${event.data
        .split('\n')
        .map((line) => `data: ${line}\n`)
        .join('')}\n`
      return
    }
    if (event.event !== 'config') return
    const lines = event.data.split('\n').map((line) => `data: ${line}\n`)
    config = {
      json: event.data,
      etag: event.id ?? null,
      event: `id: ${event.id ?? ''}\nevent: config\n${lines.join('')}\n`,
    }
    // A change is told just before the config it describes; pages that have not had a config yet
    // (it waits for the first status) get the config alone.
    const changes = changesEvent
    changesEvent = undefined
    // Pages hear a status before the first config (docs/workshop/03 shows that order); the status
    // poll below sends the config after it when no status was sent yet.
    if (statusEvent === undefined) configPending = true
    else broadcast((changes ?? '') + config.event)
    void pollStatus() // the version moves with the config
  }

  const connect = async (): Promise<void> => {
    if (closed || connecting || upstream !== undefined || clients.size === 0) return
    connecting = true
    try {
      const stream = await sidecar.openStream(`${SIDECAR_PATHS.config}?redact`)
      // The last page left (or close() ran) while the stream was being opened: let go of it.
      if (closed || clients.size === 0) {
        stream.destroy()
        return
      }
      upstream = stream
      let buffer = ''
      stream.setEncoding('utf8')
      stream.on('data', (chunk: string) => {
        buffer += chunk
        let end: number
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          onEvent(buffer.slice(0, end))
          buffer = buffer.slice(end + 2)
        }
        if (buffer.length > MAX_EVENT_BYTES) stream.destroy()
      })
      const reconnect = (): void => {
        if (upstream !== stream) return
        upstream = undefined
        if (!closed && clients.size > 0)
          reconnectTimer = setTimeout(() => void connect(), RECONNECT_MS)
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

  // One status request at a time; a request asked for meanwhile runs once after it.
  let polling = false
  let pollAgain = false
  const pollStatus = async (): Promise<void> => {
    if (polling) {
      pollAgain = true
      return
    }
    polling = true
    let next: SidecarStatus
    try {
      next = await state.status()
    } finally {
      polling = false
    }
    if (pollAgain) {
      pollAgain = false
      void pollStatus()
    }
    if (clients.size === 0) return
    status = next
    // Without a config of its own, the relay leaves the page's config badge as it is.
    const event = `event: status\ndata: ${JSON.stringify(badges(next, config === undefined ? undefined : true))}\n\n`
    if (event !== statusEvent) {
      statusEvent = event
      broadcast(event)
    }
    if (configPending && config !== undefined) {
      configPending = false
      broadcast(config.event)
    }
  }

  const stopIfIdle = (): void => {
    if (clients.size > 0) return
    clearInterval(statusTimer)
    statusTimer = undefined
    clearTimeout(reconnectTimer)
    upstream?.destroy()
    upstream = undefined
    // Nothing follows the sidecar now: forget what would go out of date.
    config = undefined
    configPending = false
    changesEvent = undefined
    recent = []
    status = undefined
    statusEvent = undefined
  }

  return {
    add(res) {
      if (closed || clients.size >= options.maxClients) return false
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
      })
      res.write('retry: 2000\n\n')
      if (statusEvent !== undefined) res.write(statusEvent)
      if (statusEvent !== undefined && config !== undefined) res.write(config.event)
      clients.add(res)
      res.once('close', () => {
        clients.delete(res)
        stopIfIdle()
      })
      if (statusTimer === undefined) {
        statusTimer = setInterval(() => void pollStatus(), options.statusEveryMs)
        void pollStatus()
      }
      void connect()
      return true
    },

    async view() {
      if (upstream !== undefined && config !== undefined && status !== undefined)
        return { config, status, version: status.version, changes: recent }
      const [answer, now] = await Promise.all([
        sidecar.get(`${SIDECAR_PATHS.config}?redact`).catch(() => undefined),
        state.status(),
      ])
      const fetched = answer?.status === 200 && answer.body.length > 0 ? answer : undefined
      const header = (name: string): string | null => {
        const value = fetched?.headers[name]
        return typeof value === 'string' ? value : null
      }
      return {
        config: fetched && {
          json: fetched.body.toString('utf8'),
          etag: header(CONFIG_HEADERS.etag),
        },
        status: now,
        version: now.version ?? header(CONFIG_HEADERS.version),
        changes: [],
      }
    },

    close() {
      closed = true
      for (const client of clients) client.end()
      clients.clear()
      stopIfIdle()
    },
  }
}

/** The paths of a sidecar `changes` event, stamped with the time it arrived; undefined if malformed. */
function pageChange(data: string): PageChange | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(data)
  } catch {
    return undefined
  }
  const list = (name: string): string[] | undefined => {
    const value = (parsed as Record<string, unknown> | null)?.[name]
    return Array.isArray(value) && value.every((item) => typeof item === 'string')
      ? value
      : undefined
  }
  const [added, removed, changed] = [list('added'), list('removed'), list('changed')]
  if (added === undefined || removed === undefined || changed === undefined) return undefined
  return { at: new Date().toISOString(), added, removed, changed }
}

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
