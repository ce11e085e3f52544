import { CONFIG_HEADERS } from '@sample/shared'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FormatView, ServedConfig, Representation } from '../state/served-config.js'
import { FORMATS } from '../settings/formats.js'
import type { Format } from '../settings/formats.js'
import type { Metrics } from './metrics.js'
import type { ConfigStore } from '../state/store.js'
import { changesBetween, changesUnder } from '../state/changes.js'
import { answerChanges, viewName } from './changes-route.js'
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

/** One view of the config: a path into it, redacted or not, in a format (`?format=`, JSON by default). */
interface View {
  readonly path: readonly string[]
  readonly redact: boolean
  readonly format: Format
}

/** The bytes of a view: absent (404), or refused by its format (`?format=env` with colliding keys). */
function pick(state: ServedConfig, view: View): FormatView | undefined {
  return view.format === 'json'
    ? state.at(view.path, view.redact)
    : state.format(view.format, view.redact)
}

const isRepresentation = (view: FormatView | undefined): view is Representation =>
  view !== undefined && 'body' in view

interface Waiter {
  /** Called with every new config. */
  readonly onChange: (state: ServedConfig) => void
  /** Answers now (shutdown). */
  readonly close: () => void
}

export interface ConfigRoute {
  handle(req: IncomingMessage, res: ServerResponse, rawUrl: string): void
  /** `GET /changes?since=<etag>`; `rawQuery` is what follows `/changes` (`?since=…`). */
  changes(res: ServerResponse, rawQuery: string): void
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
      CONFIG_HEADERS.etag,
      representation.etag,
      CONFIG_HEADERS.version,
      state.version,
      CONFIG_HEADERS.stale,
      store.isStale() ? 'true' : 'false',
      CONFIG_HEADERS.age,
      String(Math.floor((store.ageMs() ?? 0) / 1000)),
      'cache-control',
      'no-store',
      'x-content-type-options',
      'nosniff',
    ]
    if (status === 200)
      headers.push(
        'content-type',
        representation.contentType ?? JSON_TYPE,
        'content-length',
        String(representation.body.length),
      )
    if (close) headers.push('connection', 'close')
    res.writeHead(status, headers)
    res.end(status === 200 ? representation.body : undefined)
  }

  /**
   * Remembers the ETag of a whole-document view other than the full one (whose ETag the change log
   * always knows), so `GET /changes?since=` knows it too.
   */
  const noteServed = (state: ServedConfig, view: View, etag: string): void => {
    if (view.path.length === 0 && (view.redact || view.format !== 'json'))
      store.changes.served(state, viewName(view.format, view.redact), etag)
  }

  const badRequest = (res: ServerResponse, message: string): void =>
    sendError(res, metrics, 'config', 'ERR_BAD_REQUEST', message)

  /** The format cannot hold this config whole (two keys that become one): 502, naming the keys. */
  const refused = (res: ServerResponse, message: string, state: ServedConfig): void =>
    sendError(res, metrics, 'config', 'ERR_DOCUMENT_INVALID', message, {
      [CONFIG_HEADERS.version]: state.version,
      [CONFIG_HEADERS.stale]: store.isStale() ? 'true' : 'false',
    })

  const notFound = (res: ServerResponse, view: View, state: ServedConfig): void => {
    const headers: Headers = {
      [CONFIG_HEADERS.version]: state.version,
      [CONFIG_HEADERS.stale]: store.isStale() ? 'true' : 'false',
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
      const current = pick(state, view)
      sendRepresentation(res, 304, isRepresentation(current) ? current : state.full, state, close)
    }
    const waiter: Waiter = {
      onChange(state) {
        const next = pick(state, view)
        if (next === undefined) finish(() => notFound(res, view, state))
        else if (!isRepresentation(next)) finish(() => refused(res, next.refused, state))
        else if (next.etag !== etag) {
          noteServed(state, view, next.etag)
          finish(() => sendRepresentation(res, 200, next, state))
        }
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
      [CONFIG_HEADERS.version]: state.version,
      'x-content-type-options': 'nosniff',
    })
    res.write('retry: 2000\n\n')
    let lastSent = header(req, 'last-event-id')
    /** The config of the last `config` event (or the one a resumed client holds), and its ETag. */
    let shown: { config: ServedConfig; etag: string } | undefined
    const sendState = (current: ServedConfig): void => {
      const representation = current.at(view.path, view.redact)
      if (representation === undefined) {
        if (lastSent === 'absent') return
        lastSent = 'absent'
        res.write('event: absent\ndata: null\n\n')
        return
      }
      if (lastSent !== undefined && matchesEtag(lastSent, representation.etag)) {
        shown ??= { config: current, etag: representation.etag }
        return
      }
      lastSent = representation.etag
      noteServed(current, view, representation.etag)
      // After the first `config` event: which paths changed since the last one (under this path).
      if (shown !== undefined) {
        const changes = changesUnder(
          changesBetween(shown.config, current),
          current.document,
          view.path,
        )
        res.write(
          `event: changes\ndata: ${JSON.stringify({ from: shown.etag, to: representation.etag, ...changes })}\n\n`,
        )
      }
      shown = { config: current, etag: representation.etag }
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
      const format = query.get('format') ?? 'json'
      if (!(FORMATS as readonly string[]).includes(format)) {
        badRequest(res, `format must be one of ${FORMATS.join(', ')}`)
        return
      }
      const view: View = { path, redact: query.has('redact'), format: format as Format }
      // A format other than JSON renders the whole config: its keys are paths from the top.
      if (view.format !== 'json' && path.length > 0) {
        badRequest(
          res,
          `format=${format} applies to the whole config: ask /config/?format=${format}`,
        )
        return
      }

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
            [CONFIG_HEADERS.stale]: 'true',
          },
        )
        return
      }

      if (header(req, 'accept')?.includes('text/event-stream') === true && req.method === 'GET') {
        if (view.format !== 'json') {
          badRequest(res, 'event streams carry JSON: use format= with a GET or a long poll')
          return
        }
        stream(req, res, view, state)
        return
      }

      const representation = pick(state, view)
      if (representation === undefined) {
        notFound(res, view, state)
        return
      }
      if (!isRepresentation(representation)) {
        refused(res, representation.refused, state)
        return
      }
      noteServed(state, view, representation.etag)

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
    changes: (res, rawQuery) => answerChanges(res, deps, rawQuery.replace(/^\?/, '')),
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}
