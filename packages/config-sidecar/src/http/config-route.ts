import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ServedConfig, Representation } from '../state/served-config.js'
import type { Metrics } from './metrics.js'
import type { ConfigStore } from '../state/store.js'
import { matchesEtag } from './guards.js'
import { JSON_TYPE, sendError } from './respond.js'
import type { Headers } from './respond.js'

const NO_QUERY = new URLSearchParams()
const NO_PATH: string[] = []

/** Longest long poll, in seconds. */
export const MAX_WAIT_SECONDS = 60
/** How often an idle event stream gets a comment line, so proxies and clients keep it open. */
const HEARTBEAT_MS = 25_000
/** A stream whose client reads slower than this many buffered bytes is closed. */
const MAX_STREAM_BACKLOG_BYTES = 4 * 1024 * 1024

/** One view of the config: a path into it, redacted or not. */
interface View {
  readonly path: readonly string[]
  readonly redact: boolean
}

interface Waiter {
  /** Called with every new config. */
  readonly onChange: (state: ServedConfig) => void
  /** Answers now (shutdown). */
  readonly close: () => void
}

export interface ConfigRoute {
  handle(req: IncomingMessage, res: ServerResponse, rawUrl: string): void
  /** Answers open long polls and ends open streams (SIGTERM). */
  closeAll(): void
  counts(): { streams: number; longPolls: number }
}

/**
 * `GET /config/…`: the config, a value inside it, its redacted view, with ETag/304, long poll
 * (`?wait=`) and Server-Sent Events. Every waiting client hangs off the store's one change signal,
 * so thousands of them cost nothing while nothing changes.
 */
export function createConfigRoute(deps: {
  store: ConfigStore
  metrics: Metrics
  retryAfterSeconds: number
}): ConfigRoute {
  const { store, metrics } = deps
  const longPolls = new Set<Waiter>()
  const streams = new Set<Waiter & { heartbeat: () => void }>()
  const report = (): void => metrics.setWaiting(streams.size, longPolls.size)

  store.subscribe((state) => {
    for (const waiter of [...longPolls]) waiter.onChange(state)
    for (const stream of [...streams]) stream.onChange(state)
  })

  const heartbeat = setInterval(() => {
    for (const stream of streams) stream.heartbeat()
  }, HEARTBEAT_MS)
  heartbeat.unref()

  // The hot path: the body and ETag were prepared when the config was accepted; only the age and
  // the stale flag are per request. Headers go to writeHead as a flat list (no object to walk).
  const sendRepresentation = (
    res: ServerResponse,
    status: 200 | 304,
    representation: Representation,
    state: ServedConfig,
    close = false,
  ): void => {
    metrics.countRequest('config', status)
    const headers = [
      'etag',
      representation.etag,
      'x-config-version',
      state.version,
      'x-config-stale',
      store.isStale() ? 'true' : 'false',
      'age',
      String(Math.floor((store.ageMs() ?? 0) / 1000)),
      'cache-control',
      'no-store',
    ]
    if (status === 200)
      headers.push('content-type', JSON_TYPE, 'content-length', String(representation.body.length))
    if (close) headers.push('connection', 'close')
    res.writeHead(status, headers)
    res.end(status === 200 ? representation.body : undefined)
  }

  const badRequest = (res: ServerResponse, message: string): void =>
    sendError(res, metrics, 'config', 'ERR_BAD_REQUEST', message)

  const notFound = (res: ServerResponse, view: View, state: ServedConfig): void => {
    const headers: Headers = {
      'x-config-version': state.version,
      'x-config-stale': store.isStale() ? 'true' : 'false',
    }
    sendError(
      res,
      metrics,
      'config',
      'ERR_CONFIG_PATH_NOT_FOUND',
      `no value at /config/${view.path.map(encodeURIComponent).join('/')}`,
      headers,
    )
  }

  const longPoll = (res: ServerResponse, view: View, etag: string, waitSeconds: number): void => {
    let done = false
    const finish = (answer: () => void): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      longPolls.delete(waiter)
      report()
      answer()
    }
    const unchanged = (close: boolean) => () => {
      const state = store.current()!
      sendRepresentation(res, 304, state.at(view.path, view.redact) ?? state.full, state, close)
    }
    const waiter: Waiter = {
      onChange(state) {
        const next = state.at(view.path, view.redact)
        if (next === undefined) finish(() => notFound(res, view, state))
        else if (next.etag !== etag) finish(() => sendRepresentation(res, 200, next, state))
      },
      close: () => finish(unchanged(true)),
    }
    const timer = setTimeout(() => finish(unchanged(false)), waitSeconds * 1000)
    res.once('close', () => finish(() => undefined))
    longPolls.add(waiter)
    report()
  }

  const stream = (
    req: IncomingMessage,
    res: ServerResponse,
    view: View,
    state: ServedConfig,
  ): void => {
    metrics.countRequest('config', 200)
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      'x-config-version': state.version,
    })
    res.write('retry: 2000\n\n')
    let lastSent = header(req, 'last-event-id')
    const sendState = (current: ServedConfig): void => {
      const representation = current.at(view.path, view.redact)
      if (representation === undefined) {
        if (lastSent === 'absent') return
        lastSent = 'absent'
        res.write('event: absent\ndata: null\n\n')
        return
      }
      if (lastSent !== undefined && matchesEtag(lastSent, representation.etag)) return
      lastSent = representation.etag
      res.write(`id: ${representation.etag}\nevent: config\ndata: `)
      res.write(representation.body)
      const writable = res.write('\n\n')
      if (!writable && res.writableLength > MAX_STREAM_BACKLOG_BYTES) res.destroy()
    }
    const entry: Waiter & { heartbeat: () => void } = {
      onChange: sendState,
      close: () => res.end(),
      heartbeat: () => void res.write(': keepalive\n\n'),
    }
    streams.add(entry)
    report()
    sendState(state)
    res.once('close', () => {
      streams.delete(entry)
      report()
    })
  }

  return {
    handle(req, res, rawUrl) {
      const queryStart = rawUrl.indexOf('?')
      const pathname = queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart)
      const query = queryStart === -1 ? NO_QUERY : new URLSearchParams(rawUrl.slice(queryStart + 1))
      let path: string[]
      try {
        path =
          pathname === '' || pathname === '/'
            ? NO_PATH
            : pathname
                .split('/')
                .filter((segment) => segment !== '')
                .map((segment) => decodeURIComponent(segment))
      } catch {
        badRequest(res, 'the path is not valid percent-encoding')
        return
      }
      const view: View = { path, redact: query.has('redact') }

      const state = store.current()
      if (state === undefined) {
        sendError(
          res,
          metrics,
          'config',
          'ERR_CONFIG_NOT_READY',
          'no config yet: the first refresh has not succeeded',
          {
            'retry-after': deps.retryAfterSeconds,
          },
        )
        return
      }
      if (store.tooStale()) {
        sendError(
          res,
          metrics,
          'config',
          'ERR_CONFIG_TOO_STALE',
          'the config is older than CONFIG_MAX_STALENESS',
          {
            'retry-after': deps.retryAfterSeconds,
            'x-config-stale': 'true',
          },
        )
        return
      }

      if (header(req, 'accept')?.includes('text/event-stream') === true && req.method === 'GET') {
        stream(req, res, view, state)
        return
      }

      const representation = state.at(view.path, view.redact)
      if (representation === undefined) {
        notFound(res, view, state)
        return
      }

      if (matchesEtag(header(req, 'if-none-match'), representation.etag)) {
        const wait = query.get('wait')
        if (wait === null) {
          sendRepresentation(res, 304, representation, state)
          return
        }
        const seconds = /^\d+(\.\d+)?$/.test(wait)
          ? Math.min(Number(wait), MAX_WAIT_SECONDS)
          : Number.NaN
        if (Number.isNaN(seconds)) {
          badRequest(res, `wait must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}`)
          return
        }
        if (seconds === 0) sendRepresentation(res, 304, representation, state)
        else longPoll(res, view, representation.etag, seconds)
        return
      }
      sendRepresentation(res, 200, representation, state)
    },
    closeAll() {
      clearInterval(heartbeat)
      for (const waiter of [...longPolls]) waiter.close()
      for (const entry of [...streams]) entry.close()
    },
    counts: () => ({ streams: streams.size, longPolls: longPolls.size }),
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}
