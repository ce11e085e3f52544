import { SIDECAR_PATHS } from '@sample/shared'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Metrics } from './metrics.js'
import type { ConfigStore } from '../state/store.js'
import { sendJson, sendMethodNotAllowed } from './respond.js'

/**
 * Answers `/livez` and `/readyz` (GET or HEAD, no token) and returns true, or returns false for any
 * other path. Probes are called every few seconds by Kubernetes, so they stay on the plain listener.
 * They need no token and are served on the health port to anyone who reaches it, so they carry
 * status only: no version, no ETag, nothing derived from the config.
 */
export function answerProbe(
  req: IncomingMessage,
  res: ServerResponse,
  store: ConfigStore,
  metrics: Metrics,
): boolean {
  const path = (req.url ?? '/').split('?')[0]
  if (path !== SIDECAR_PATHS.livez && path !== SIDECAR_PATHS.readyz) return false
  const route = path === SIDECAR_PATHS.livez ? 'livez' : 'readyz'
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendMethodNotAllowed(res, metrics, route, req.method, 'GET, HEAD')
    return true
  }
  if (route === 'livez') {
    sendJson(res, metrics, route, 200, { status: 'alive' })
    return true
  }
  const state = store.current()
  if (state === undefined)
    sendJson(res, metrics, route, 503, { status: 'not-ready', reason: 'no config yet' })
  else if (store.tooStale())
    sendJson(res, metrics, route, 503, {
      status: 'not-ready',
      reason: 'config older than CONFIG_MAX_STALENESS',
      stale: true,
    })
  else sendJson(res, metrics, route, 200, { status: 'ready', stale: store.isStale() })
  return true
}
