import { SIDECAR_PATHS } from '@sample/shared'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Metrics } from './metrics.js'
import type { ConfigStore } from '../state/store.js'
import { isForwarded, isLoopbackHost } from './guards.js'
import { answerProbe } from './probes.js'
import { sendError, sendInternalError } from './respond.js'
import { READ_METHODS, allowed, authorized } from './access.js'
import type { SidecarHttpDeps } from './access.js'

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void

const READ_ALLOW = 'GET, HEAD'

/**
 * The loopback listener. Every request first passes the guards, in this order: connection cap
 * (429), proxied request (400), foreign Host (403). Each refusal, like a missing or wrong token
 * (401) and a method not allowed (405), goes to the refusal log (one line per kind, rate limited).
 * Config reads (the hot path) and the probes are then answered directly; `/status`, `/metrics`,
 * `/refresh` and unknown paths go to an express app loaded on first use. Routing a config read
 * through express's router costs more than half of the throughput a plain node:http server
 * reaches, and loading express costs memory that comes out of the app's container
 * (docs/benchmarks.md).
 */
export function createRequestListener(deps: SidecarHttpDeps): RequestListener {
  const { metrics } = deps
  let operations: Promise<RequestListener> | undefined

  return (req, res) => {
    if (deps.overConnectionLimit()) {
      deps.refusals?.record('too-many-connections')
      sendError(res, metrics, 'other', 'ERR_TOO_MANY_CONNECTIONS', 'too many open connections', {
        'retry-after': 1,
        connection: 'close',
      })
      return
    }
    if (isForwarded(req.headers)) {
      deps.refusals?.record('forwarded')
      sendError(
        res,
        metrics,
        'other',
        'ERR_FORWARDED_REQUEST',
        'proxied requests are refused: the sidecar serves only its own container',
      )
      return
    }
    if (!isLoopbackHost(req.headers.host)) {
      deps.refusals?.record('foreign-host', { host: req.headers.host })
      sendError(
        res,
        metrics,
        'other',
        'ERR_HOST_NOT_ALLOWED',
        'the Host header must name a loopback address (localhost, 127.0.0.1, [::1])',
      )
      return
    }
    const url = req.url ?? '/'
    if (url.startsWith('/config') && (url.length === 7 || url[7] === '/' || url[7] === '?')) {
      if (
        !authorized(deps, req, res, 'config') ||
        !allowed(req, res, metrics, 'config', READ_METHODS, READ_ALLOW, deps.refusals)
      )
        return
      deps.configRoute.handle(req, res, url.slice(7))
      return
    }
    const changes = SIDECAR_PATHS.changes
    if (url.startsWith(changes) && (url.length === changes.length || url[changes.length] === '?')) {
      if (
        !authorized(deps, req, res, 'changes') ||
        !allowed(req, res, metrics, 'changes', READ_METHODS, READ_ALLOW, deps.refusals)
      )
        return
      deps.configRoute.changes(res, url.slice(8))
      return
    }
    if (answerProbe(req, res, deps.store, metrics)) {
      if (res.statusCode === 405)
        deps.refusals?.record('method-not-allowed', {
          method: req.method,
          route: url.startsWith('/livez') ? 'livez' : 'readyz',
        })
      return
    }
    operations ??= import('./operations.js').then(({ createOperationsApp }) =>
      createOperationsApp(deps),
    )
    operations.then(
      (app) => app(req, res),
      (error: unknown) => {
        deps.logger.error('cannot load the operations routes', { reason: (error as Error).message })
        sendInternalError(res, metrics)
      },
    )
  }
}

/**
 * The probe-only listener for CONFIG_HEALTH_PORT: `/livez` and `/readyz` on all interfaces, so a
 * Kubernetes kubelet (which calls the pod IP) can probe a sidecar whose data stays on 127.0.0.1.
 */
export function createHealthListener(store: ConfigStore, metrics: Metrics): RequestListener {
  return (req, res) => {
    if (!answerProbe(req, res, store, metrics)) {
      sendError(
        res,
        metrics,
        'other',
        'ERR_NOT_FOUND',
        'this listener serves /livez and /readyz only',
      )
    }
  }
}
