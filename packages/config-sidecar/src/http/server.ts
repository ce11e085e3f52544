import type { IncomingMessage, ServerResponse } from 'node:http'
import express from 'express'
import type { NextFunction, Request, Response } from 'express'
import { isSidecarError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { Metrics, RouteName } from '../metrics.js'
import type { Refresher } from '../refresher.js'
import type { ConfigStore } from '../store.js'
import type { ConfigRoute } from './config-route.js'
import { isForwarded, isLoopbackHost } from './guards.js'
import { createRateLimiter } from './rate-limit.js'
import { send, sendError, sendJson } from './respond.js'

export interface SidecarHttpDeps {
  readonly store: ConfigStore
  readonly refresher: Refresher
  readonly metrics: Metrics
  readonly configRoute: ConfigRoute
  readonly logger: Logger
  /** Checks a request's Authorization header; undefined turns local-caller tokens off. */
  readonly checkToken: ((authorization: string | undefined) => boolean) | undefined
  readonly sourceDisplay: string
  readonly startedAt: number
  /** True while more connections are open than the sidecar accepts. */
  readonly overConnectionLimit: () => boolean
}

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void

const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD'])
const READ_ALLOW = 'GET, HEAD'

/**
 * The loopback listener. Every request first passes the guards, in this order: connection cap
 * (429), proxied request (400), foreign Host (403). Config reads, the hot path, are then answered
 * directly (token 401, method 405, then bytes prepared per config version); everything else goes
 * through the express app. Routing a config read through express's router would cost more than
 * half the throughput a plain node:http server reaches (docs/benchmarks.md).
 */
export function createRequestListener(deps: SidecarHttpDeps): RequestListener {
  const { metrics } = deps
  const app = createOperationsApp(deps)

  return (req, res) => {
    if (deps.overConnectionLimit()) {
      sendError(
        res,
        metrics,
        'other',
        429,
        'ERR_TOO_MANY_CONNECTIONS',
        'too many open connections',
        {
          'retry-after': 1,
          connection: 'close',
        },
      )
      return
    }
    if (isForwarded(req.headers)) {
      sendError(
        res,
        metrics,
        'other',
        400,
        'ERR_FORWARDED_REQUEST',
        'proxied requests are refused: the sidecar serves only its own container',
      )
      return
    }
    if (!isLoopbackHost(req.headers.host)) {
      sendError(
        res,
        metrics,
        'other',
        403,
        'ERR_HOST_NOT_ALLOWED',
        'the Host header must name a loopback address (localhost, 127.0.0.1, [::1])',
      )
      return
    }
    const url = req.url ?? '/'
    if (url.startsWith('/config') && (url.length === 7 || url[7] === '/' || url[7] === '?')) {
      if (
        !authorized(deps, req, res, 'config') ||
        !allowed(req, res, metrics, 'config', READ_METHODS, READ_ALLOW)
      )
        return
      deps.configRoute.handle(req, res, url.slice(7))
      return
    }
    void app(req, res)
  }
}

/**
 * `/status`, `/metrics`, `/refresh` and the probes: express, behind the guards above.
 */
function createOperationsApp(deps: SidecarHttpDeps): express.Express {
  const { store, metrics, logger } = deps
  const app = express()
  app.disable('x-powered-by')
  app.disable('etag')

  const guarded =
    (
      route: RouteName,
      methods: ReadonlySet<string>,
      handler: (req: Request, res: Response) => void | Promise<void>,
    ) =>
    async (req: Request, res: Response): Promise<void> => {
      if (
        !authorized(deps, req, res, route) ||
        !allowed(req, res, metrics, route, methods, [...methods].join(', '))
      )
        return
      await handler(req, res)
    }

  mountProbes(app, store, metrics)

  app.all(
    '/status',
    guarded('status', READ_METHODS, (_req, res) =>
      sendJson(res, metrics, 'status', 200, statusOf(deps)),
    ),
  )

  app.all(
    '/metrics',
    guarded('metrics', READ_METHODS, async (_req, res) => {
      send(
        res,
        metrics,
        'metrics',
        200,
        { 'content-type': metrics.contentType, 'cache-control': 'no-store' },
        await metrics.render(),
      )
    }),
  )

  const refreshLimit = createRateLimiter({ burst: 3, refillMs: 5000 })
  app.all(
    '/refresh',
    guarded('refresh', new Set(['POST']), async (_req, res) => {
      const waitMs = refreshLimit()
      if (waitMs > 0) {
        sendError(
          res,
          metrics,
          'refresh',
          429,
          'ERR_RATE_LIMITED',
          'refresh is rate limited: 3 at once, then one every 5 s',
          {
            'retry-after': Math.ceil(waitMs / 1000),
          },
        )
        return
      }
      const outcome = await deps.refresher.refresh('manual')
      const body = {
        outcome: outcome.outcome,
        version: outcome.version ?? null,
        durationMs: outcome.durationMs,
      }
      if (outcome.error === undefined) {
        sendJson(res, metrics, 'refresh', 200, body)
      } else {
        sendJson(res, metrics, 'refresh', 502, {
          ...body,
          error: { code: outcome.error.code, message: outcome.error.message },
        })
      }
    }),
  )

  app.use((_req: Request, res: Response) => {
    sendError(
      res,
      metrics,
      'other',
      404,
      'ERR_NOT_FOUND',
      'no such route: see /config/, /livez, /readyz, /status, /metrics, /refresh',
    )
  })

  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error)
      return
    }
    const status = (error as { status?: unknown }).status
    if (typeof status === 'number' && status >= 400 && status < 500) {
      sendError(res, metrics, 'other', status, 'ERR_BAD_REQUEST', 'the request cannot be read')
      return
    }
    logger.error('request failed', {
      code: isSidecarError(error) ? error.code : 'ERR_INTERNAL',
      reason: (error as Error).message,
    })
    sendError(
      res,
      metrics,
      'other',
      500,
      'ERR_INTERNAL',
      'internal error (details are in the sidecar log)',
    )
  })

  return app
}

/**
 * The probe-only app for CONFIG_HEALTH_PORT: `/livez` and `/readyz` on all interfaces, so a
 * Kubernetes kubelet (which calls the pod IP) can probe a sidecar whose data stays on 127.0.0.1.
 */
export function createHealthApp(store: ConfigStore, metrics: Metrics): express.Express {
  const app = express()
  app.disable('x-powered-by')
  app.disable('etag')
  mountProbes(app, store, metrics)
  app.use((_req: Request, res: Response) => {
    sendError(
      res,
      metrics,
      'other',
      404,
      'ERR_NOT_FOUND',
      'this listener serves /livez and /readyz only',
    )
  })
  return app
}

function authorized(
  deps: SidecarHttpDeps,
  req: IncomingMessage,
  res: ServerResponse,
  route: RouteName,
): boolean {
  if (deps.checkToken === undefined || deps.checkToken(req.headers.authorization)) return true
  sendError(
    res,
    deps.metrics,
    route,
    401,
    'ERR_UNAUTHORIZED',
    'send Authorization: Bearer <token> (see the README: local callers)',
    {
      'www-authenticate': 'Bearer realm="config-sidecar"',
    },
  )
  return false
}

function allowed(
  req: IncomingMessage,
  res: ServerResponse,
  metrics: Metrics,
  route: RouteName,
  methods: ReadonlySet<string>,
  allow: string,
): boolean {
  if (methods.has(req.method ?? '')) return true
  sendError(
    res,
    metrics,
    route,
    405,
    'ERR_METHOD_NOT_ALLOWED',
    `${req.method ?? 'this method'} is not allowed here`,
    { allow },
  )
  return false
}

function mountProbes(app: express.Express, store: ConfigStore, metrics: Metrics): void {
  const probe =
    (route: RouteName, answer: () => { status: number; body: object }) =>
    (req: IncomingMessage, res: ServerResponse): void => {
      if (!allowed(req, res, metrics, route, READ_METHODS, READ_ALLOW)) return
      const { status, body } = answer()
      sendJson(res, metrics, route, status, body)
    }
  app.all(
    '/livez',
    probe('livez', () => ({ status: 200, body: { status: 'alive' } })),
  )
  app.all(
    '/readyz',
    probe('readyz', () => {
      const { state, stale } = store.snapshot()
      if (state === undefined)
        return { status: 503, body: { status: 'not-ready', reason: 'no config yet' } }
      if (store.tooStale())
        return {
          status: 503,
          body: {
            status: 'not-ready',
            reason: 'config older than CONFIG_MAX_STALENESS',
            stale: true,
          },
        }
      return { status: 200, body: { status: 'ready', stale, version: state.version } }
    }),
  )
}

function statusOf(deps: SidecarHttpDeps): object {
  const { store, refresher } = deps
  const snapshot = store.snapshot()
  const iso = (ms: number | undefined): string | null =>
    ms === undefined ? null : new Date(ms).toISOString()
  const age = store.ageMs()
  return {
    source: deps.sourceDisplay,
    ready: snapshot.state !== undefined && !store.tooStale(),
    version: snapshot.state?.version ?? null,
    etag: snapshot.state?.full.etag ?? null,
    stale: snapshot.stale,
    tooStale: store.tooStale(),
    fromSnapshot: snapshot.fromSnapshot,
    ageSeconds: age === undefined ? null : Math.floor(age / 1000),
    secrets: snapshot.state?.secretCount ?? 0,
    lastSuccessAt: iso(snapshot.lastSuccessAt),
    lastChangeAt: iso(snapshot.lastChangeAt),
    lastError:
      snapshot.lastFailure === undefined
        ? null
        : {
            code: snapshot.lastFailure.code,
            message: snapshot.lastFailure.message,
            at: iso(snapshot.lastFailure.at),
          },
    nextRefreshAt: iso(refresher.nextRefreshAt()),
    startedAt: iso(deps.startedAt),
    waiting: deps.configRoute.counts(),
  }
}
