// The demo app's fake sidecar: a node:http server on 127.0.0.1:0 that speaks the sidecar's contract
// (SPEC.md) for the routes the app uses, with answers each test sets as it goes, every request
// recorded, event streams it can push to, and `down`/`up` for a sidecar that is not there yet.
// Closed after the test (./servers.ts).
import type { ServerResponse } from 'node:http'
import { closeServer, listen } from './servers.js'

/** The sidecar's answers, as the fake sidecar below serves them; tests change them as they go. */
export interface FakeState {
  /** The full view (secrets decrypted); undefined: no config yet (503 on every config route). */
  full: Record<string, unknown> | undefined
  /** The redacted view. */
  redacted: Record<string, unknown> | undefined
  version: string
  stale: boolean
  lastError: { code: string; message: string; at: string } | null
  /** Paths (without query) the fake answers 404 for, as a sidecar without them would. */
  missing: Set<string>
  /** The demo kids /status names (`demoKey` true when any); undefined: /status has neither field. */
  demoKeyIds: string[] | undefined
}

/**
 * A sidecar on 127.0.0.1:0 that speaks the contract of SPEC.md for the routes the app uses:
 * `/config/` (full), `/config/?redact`, `/config/<a>/<b>`, SSE on `/config/?redact`, `/status`,
 * `/readyz`. Every request is recorded (method, URL, Authorization).
 */
export async function fakeSidecar(initial: Partial<FakeState> = {}) {
  const state: FakeState = {
    full: { greeting: 'hello', database: { user: 'orders', password: 'fixture-db-pw' } },
    redacted: { greeting: 'hello', database: { user: 'orders', password: '[redacted]' } },
    version: 'v1',
    stale: false,
    lastError: null,
    missing: new Set(),
    demoKeyIds: undefined,
    ...initial,
  }
  const seen: { url: string; authorization: string | undefined; accept: string | undefined }[] = []
  const streams = new Set<ServerResponse>()
  const etagOf = (view: 'full' | 'redacted'): string => `"${view}-${state.version}"`
  const eventOf = (): string =>
    `id: ${etagOf('redacted')}\nevent: config\ndata: ${JSON.stringify(state.redacted)}\n\n`

  const { server, port } = await listen((req, res) => {
    const url = req.url ?? '/'
    seen.push({ url, authorization: req.headers.authorization, accept: req.headers.accept })
    const [path = '/', query = ''] = url.split('?')
    const json = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers })
      res.end(JSON.stringify(body))
    }
    if (state.missing.has(path)) {
      json(404, { error: { code: 'ERR_NOT_FOUND', message: 'no such route' } })
      return
    }
    if (path === '/readyz') {
      json(state.full === undefined ? 503 : 200, { status: state.full ? 'ready' : 'not-ready' })
      return
    }
    if (path === '/status') {
      json(200, {
        ready: state.full !== undefined,
        version: state.full === undefined ? null : state.version,
        stale: state.stale,
        fromSnapshot: false,
        lastError: state.lastError,
        ...(state.demoKeyIds === undefined
          ? {}
          : { demoKey: state.demoKeyIds.length > 0, demoKeyIds: state.demoKeyIds }),
      })
      return
    }
    if (path === '/config/' || path === '/config' || path.startsWith('/config/')) {
      if (state.full === undefined || state.redacted === undefined) {
        json(
          503,
          { error: { code: 'ERR_CONFIG_NOT_READY', message: 'no config yet' } },
          {
            'retry-after': '1',
          },
        )
        return
      }
      const redact = query.split('&').includes('redact')
      if (req.headers.accept?.includes('text/event-stream') === true) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' })
        res.write(eventOf())
        streams.add(res)
        req.once('close', () => streams.delete(res))
        return
      }
      let value: unknown = redact ? state.redacted : state.full
      for (const part of path.slice('/config/'.length).split('/').filter(Boolean)) {
        value =
          typeof value === 'object' && value !== null
            ? (value as Record<string, unknown>)[decodeURIComponent(part)]
            : undefined
      }
      if (value === undefined) {
        json(404, { error: { code: 'ERR_CONFIG_PATH_NOT_FOUND', message: 'no value there' } })
        return
      }
      const headers = {
        etag: etagOf(redact ? 'redacted' : 'full'),
        'x-config-version': state.version,
        'x-config-stale': String(state.stale),
        age: '0',
        'cache-control': 'no-store',
      }
      if (req.headers['if-none-match'] === headers.etag) {
        res.writeHead(304, headers).end()
        return
      }
      json(200, value, headers)
      return
    }
    json(404, { error: { code: 'ERR_NOT_FOUND', message: 'no such route' } })
  })

  return {
    port,
    state,
    seen,
    streams,
    /** Refuses connections (closes the listener and every open stream) until `up()`. */
    async down(): Promise<void> {
      streams.clear()
      await closeServer(server)
    },
    /** Listens again, on the same port. */
    async up(): Promise<void> {
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    },
    /** Sends the current redacted view to every open stream, as the sidecar does after a change. */
    push(): void {
      for (const stream of streams) stream.write(eventOf())
    },
    /** Sends a `changes` event naming these paths, then the current redacted view (a change). */
    pushChange(paths: { added?: string[]; removed?: string[]; changed?: string[] }): void {
      const data = JSON.stringify({
        from: '"redacted-before"',
        to: etagOf('redacted'),
        added: paths.added ?? [],
        removed: paths.removed ?? [],
        changed: paths.changed ?? [],
      })
      for (const stream of streams) stream.write(`event: changes\ndata: ${data}\n\n${eventOf()}`)
    },
  }
}
