import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Refresher } from '../refresh/refresher.js'
import type { ConfigStore } from '../state/store.js'
import type { Logger } from '../support/logger.js'
import type { ConfigRoute } from './config-route.js'
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
  if (deps.checkToken === undefined || deps.checkToken(req.headers.authorization)) return true
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

/** True when the method is one of `methods`; else answers 405 with `Allow`. */
export function allowed(
  req: IncomingMessage,
  res: ServerResponse,
  metrics: Metrics,
  route: RouteName,
  methods: ReadonlySet<string>,
  allow: string,
): boolean {
  if (methods.has(req.method ?? '')) return true
  sendMethodNotAllowed(res, metrics, route, req.method, allow)
  return false
}
