// Shared by the demo app's tests: real HTTP servers on 127.0.0.1:0 (a fake sidecar, the app in
// process) and their clean-up. No mocks: every request crosses a real socket.
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach } from 'vitest'
import { createLogger } from '@sample/shared'
import { createApp } from '../src/app.js'
import { createPage } from '../src/page/page.js'
import type { PageOptions } from '../src/page/page.js'
import { createSidecarClient } from '../src/sidecar-client.js'
import { createSidecarState } from '../src/sidecar-state.js'

export type Handler = (req: IncomingMessage, res: ServerResponse) => void

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

/** Runs `close` after the current test. */
export function onCleanup(close: () => Promise<void> | void): void {
  closers.push(async () => {
    await close()
  })
}

export async function listen(
  handler: Handler,
  port = 0,
): Promise<{ server: Server; port: number }> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return { server, port: (server.address() as AddressInfo).port }
}

export type TokenRef = { kind: 'file'; path: string } | { kind: 'inline'; value: string }

/** The demo app in process (with its page), talking to a sidecar on `sidecarPort`. */
export async function startApp(
  sidecarPort: number,
  options: { token?: TokenRef; page?: PageOptions } = {},
): Promise<{ url: string; port: number; logs: string[] }> {
  const logs: string[] = []
  const logger = createLogger({ write: (line) => logs.push(line) })
  const sidecar = createSidecarClient(`http://127.0.0.1:${sidecarPort}`, options.token)
  const state = createSidecarState(sidecar, logger)
  const page = createPage({ sidecar, state, logger, ...options.page })
  onCleanup(() => page.close())
  const app = createApp({ sidecar, sidecarPort, state, logger, page })
  const { port } = await listen(app)
  return { url: `http://127.0.0.1:${port}`, port, logs }
}

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
export async function fakeSidecar(initial: Partial<FakeState> = {}, onPort = 0) {
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

  const { port } = await listen((req, res) => {
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
  }, onPort)

  return {
    port,
    state,
    seen,
    streams,
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

/** Log lines as objects. */
export function parsed(logs: readonly string[]): Record<string, unknown>[] {
  return logs.map((line) => JSON.parse(line) as Record<string, unknown>)
}
