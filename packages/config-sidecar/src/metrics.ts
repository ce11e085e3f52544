import { Counter, Gauge, Registry } from 'prom-client'
import type { RefreshOutcome } from './refresher.js'
import type { ConfigStore } from './store.js'

/** Names of the routes counted in `config_sidecar_http_requests_total`. */
export type RouteName = 'config' | 'livez' | 'readyz' | 'status' | 'metrics' | 'refresh' | 'other'

export interface Metrics {
  /** Counts one answered request; a plain increment, so the hot path stays cheap. */
  countRequest(route: RouteName, status: number): void
  recordRefresh(outcome: RefreshOutcome): void
  /** Open Server-Sent Events streams and waiting long polls. */
  setWaiting(streams: number, longPolls: number): void
  readonly contentType: string
  render(): Promise<string>
}

/**
 * Prometheus metrics. Values that describe the current state (staleness, version, readiness) are
 * read from the store when scraped; request counts live in a plain map and are copied at scrape time.
 */
export function createMetrics(store: ConfigStore): Metrics {
  const registry = new Registry()
  // route → status → count: two lookups and an increment, nothing allocated per request.
  const requests = new Map<RouteName, Map<number, number>>()
  let streams = 0
  let longPolls = 0

  const refreshes = new Counter({
    name: 'config_sidecar_refresh_total',
    help: 'Refreshes of the config source by outcome (changed, unchanged, failed).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  })
  const refreshErrors = new Counter({
    name: 'config_sidecar_refresh_errors_total',
    help: 'Failed refreshes by error code.',
    labelNames: ['code'] as const,
    registers: [registry],
  })
  const decryptions = new Counter({
    name: 'config_sidecar_secrets_decrypted_total',
    help: 'Secrets decrypted (unchanged secrets are not decrypted again).',
    registers: [registry],
  })
  for (const outcome of ['changed', 'unchanged', 'failed']) refreshes.inc({ outcome }, 0)

  new Gauge({
    name: 'config_sidecar_staleness_seconds',
    help: 'Seconds since the source last confirmed the served config (0 before any config).',
    registers: [registry],
    collect() {
      this.set((store.ageMs() ?? 0) / 1000)
    },
  })
  new Gauge({
    name: 'config_sidecar_last_success_timestamp_seconds',
    help: 'When the source last confirmed the served config (Unix time; 0 before any config).',
    registers: [registry],
    collect() {
      this.set((store.snapshot().lastSuccessAt ?? 0) / 1000)
    },
  })
  new Gauge({
    name: 'config_sidecar_stale',
    help: '1 while the served config is marked stale (last refresh failed, or served from the snapshot).',
    registers: [registry],
    collect() {
      this.set(store.snapshot().stale ? 1 : 0)
    },
  })
  new Gauge({
    name: 'config_sidecar_ready',
    help: '1 while /readyz answers 200.',
    registers: [registry],
    collect() {
      this.set(store.current() !== undefined && !store.tooStale() ? 1 : 0)
    },
  })
  new Gauge({
    name: 'config_sidecar_config_info',
    help: 'The served config: version and ETag as labels, value 1.',
    labelNames: ['version', 'etag'] as const,
    registers: [registry],
    collect() {
      this.reset()
      const state = store.current()
      if (state !== undefined)
        this.set({ version: state.version, etag: state.full.etag.slice(1, -1) }, 1)
    },
  })
  new Gauge({
    name: 'config_sidecar_secrets',
    help: 'Decrypted secrets in the served config.',
    registers: [registry],
    collect() {
      this.set(store.current()?.secretCount ?? 0)
    },
  })
  new Gauge({
    name: 'config_sidecar_open_streams',
    help: 'Open Server-Sent Events streams on /config/.',
    registers: [registry],
    collect() {
      this.set(streams)
    },
  })
  new Gauge({
    name: 'config_sidecar_waiting_long_polls',
    help: 'Long polls on /config/ waiting for a change.',
    registers: [registry],
    collect() {
      this.set(longPolls)
    },
  })
  new Gauge({
    name: 'config_sidecar_resident_memory_bytes',
    help: 'Resident set size of the sidecar process.',
    registers: [registry],
    collect() {
      this.set(process.memoryUsage.rss())
    },
  })
  new Counter({
    name: 'config_sidecar_http_requests_total',
    help: 'Requests answered, by route and status.',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
    collect() {
      this.reset()
      for (const [route, statuses] of requests) {
        for (const [status, count] of statuses) this.inc({ route, status: String(status) }, count)
      }
    },
  })

  return {
    countRequest(route, status) {
      let statuses = requests.get(route)
      if (statuses === undefined) requests.set(route, (statuses = new Map<number, number>()))
      statuses.set(status, (statuses.get(status) ?? 0) + 1)
    },
    recordRefresh(outcome) {
      refreshes.inc({ outcome: outcome.outcome })
      if (outcome.error !== undefined) refreshErrors.inc({ code: outcome.error.code })
      if (outcome.decrypted > 0) decryptions.inc(outcome.decrypted)
    },
    setWaiting(openStreams, waitingPolls) {
      streams = openStreams
      longPolls = waitingPolls
    },
    contentType: registry.contentType,
    render: () => registry.metrics(),
  }
}
