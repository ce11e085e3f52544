import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Refresher } from '../refresh/refresher.js'
import type { ConfigStore } from '../state/store.js'
import type { Logger } from '../support/logger.js'
import type { ConfigRoute } from './config-route.js'
import type { RefusalLog } from './guards.js'
import type { Metrics, RouteName } from './metrics.js'
import { sendError, sendMethodNotAllowed } from './respond.js'

/** What the HTTP layer is given by the composition root. */
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
  /** Where refused local callers are logged (rate limited per kind); none: not logged. */
  readonly refusals?: RefusalLog | undefined
  /** The kids of CONFIG_KEYS that belong to the shipped, public demo key set (for /status). */
  readonly demoKeyIds?: readonly string[] | undefined
}

/** The methods of the data routes. */
export const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD'])

/** True when the request carries the local-caller token (or tokens are off); else answers 401. */
export function authorized(
  deps: SidecarHttpDeps,
  req: IncomingMessage,
  res: ServerResponse,
  route: RouteName,
): boolean {
  const { authorization } = req.headers
  if (deps.checkToken === undefined || deps.checkToken(authorization)) return true
  // Which kind only: the header itself is never logged.
  deps.refusals?.record(
    authorization === undefined || authorization.trim() === '' ? 'no-token' : 'wrong-token',
    { route },
  )
  sendError(
    res,
    deps.metrics,
    route,
    'ERR_UNAUTHORIZED',
    'send Authorization: Bearer <token> (see the README: local callers)',
    {
      'www-authenticate': 'Bearer realm="config-sidecar"',
    },
  )
  return false
}

/** True when the method is one of `methods`; else answers 405 with `Allow` (and logs it). */
export function allowed(
  req: IncomingMessage,
  res: ServerResponse,
  metrics: Metrics,
  route: RouteName,
  methods: ReadonlySet<string>,
  allow: string,
  refusals?: RefusalLog,
): boolean {
  if (methods.has(req.method ?? '')) return true
  refusals?.record('method-not-allowed', { method: req.method, route })
  sendMethodNotAllowed(res, metrics, route, req.method, allow)
  return false
}
