// The sidecar's loopback request listener in tests, built from its parts: the real store, metrics and
// config route unless a test gives its own, a refresher that is never asked (unless given), a
// recording logger and no local-caller token. Also a refusal log that records what it is handed,
// and the request counts the metrics hold.
import { createConfigRoute } from '../packages/config-sidecar/src/http/config-route.js'
import type { SidecarHttpDeps } from '../packages/config-sidecar/src/http/access.js'
import type { RefusalKind, RefusalLog } from '../packages/config-sidecar/src/http/guards.js'
import { createMetrics } from '../packages/config-sidecar/src/http/metrics.js'
import type { Metrics } from '../packages/config-sidecar/src/http/metrics.js'
import { createRequestListener } from '../packages/config-sidecar/src/http/server.js'
import type { Refresher } from '../packages/config-sidecar/src/refresh/refresher.js'
import { createConfigStore } from '../packages/config-sidecar/src/state/store.js'
import { recordingLogger } from './logs.js'
import { listen, onCleanup } from './servers.js'

/** A refresher for tests that never refresh: every call but `stop` rejects. */
export const UNUSED_REFRESHER: Refresher = {
  restore: () => Promise.reject(new Error('not used in this test')),
  start: () => Promise.reject(new Error('not used in this test')),
  refresh: () => Promise.reject(new Error('not used in this test')),
  nextRefreshAt: () => undefined,
  stop: () => Promise.resolve(),
}

/** What a test may set; `retryAfterSeconds` is the config route's (default 5). */
export type LoopbackParts = Partial<SidecarHttpDeps> & { readonly retryAfterSeconds?: number }

/**
 * The listener's deps: `given` over the defaults. The config route is built on the deps' store and
 * metrics (and closed after the test) unless one is given.
 */
export function loopbackDeps(given: LoopbackParts = {}): SidecarHttpDeps {
  const { retryAfterSeconds = 5, ...parts } = given
  const store = parts.store ?? createConfigStore()
  const metrics = parts.metrics ?? createMetrics(store)
  let configRoute = parts.configRoute
  if (configRoute === undefined) {
    const route = createConfigRoute({ store, metrics, retryAfterSeconds })
    onCleanup(() => route.closeAll())
    configRoute = route
  }
  return {
    refresher: UNUSED_REFRESHER,
    logger: recordingLogger().logger,
    checkToken: undefined,
    sourceDisplay: 'file:/srv/config.json',
    startedAt: Date.now(),
    overConnectionLimit: () => false,
    ...parts,
    store,
    metrics,
    configRoute,
  }
}

/** The loopback listener on 127.0.0.1, port 0 (closed after the test), over `loopbackDeps(given)`. */
export async function listenLoopback(
  given: LoopbackParts = {},
): Promise<{ url: string; deps: SidecarHttpDeps }> {
  const deps = loopbackDeps(given)
  const { port } = await listen(createRequestListener(deps))
  return { url: `http://127.0.0.1:${port}`, deps }
}

/** A refusal the listener handed to the refusal log. */
export interface Refusal {
  readonly kind: RefusalKind
  readonly sample: Readonly<Record<string, string | undefined>> | undefined
}

/** A refusal log that keeps every refusal it is handed, in order. */
export function recordingRefusals(): { log: RefusalLog; refused: Refusal[] } {
  const refused: Refusal[] = []
  return {
    log: { record: (kind, sample) => refused.push({ kind, sample }), close: () => undefined },
    refused,
  }
}

/** `config_sidecar_http_requests_total` as `route status` → count. */
export async function requestCounts(metrics: Metrics): Promise<Record<string, number>> {
  const { text } = await metrics.render()
  const counts: Record<string, number> = {}
  for (const match of text.matchAll(
    /^config_sidecar_http_requests_total\{route="([^"]*)",status="(\d+)"\} (\d+)$/gm,
  ))
    counts[`${match[1]} ${match[2]}`] = Number(match[3])
  return counts
}
