import type { Counter as PromCounter, Gauge as PromGauge, Registry } from 'prom-client'
import { interopDefault } from '../support/interop.js'
import type { RefreshOutcome } from '../refresh/refresher.js'
import type { ConfigStore } from '../state/store.js'
import type { ConfigFiles, ConfigFilesStatus } from '../files/config-files.js'

/** Names of the routes counted in `config_sidecar_http_requests_total`. */
export type RouteName =
  'config' | 'changes' | 'livez' | 'readyz' | 'status' | 'metrics' | 'refresh' | 'other'

export interface Metrics {
  /** Counts one answered request; a plain increment, so the hot path stays cheap. */
  countRequest(route: RouteName, status: number): void
  recordRefresh(outcome: RefreshOutcome): void
  /** Open Server-Sent Events streams and waiting long polls. */
  setWaiting(streams: number, longPolls: number): void
  /** The Prometheus text and its content type. */
  render(): Promise<{ contentType: string; text: string }>
  /** Config as files (CONFIG_WRITE_FILE, CONFIG_ON_CHANGE) for /status; undefined when neither is set. */
  configFiles(): ConfigFilesStatus | undefined
}

/**
 * Prometheus metrics. Counters are plain numbers updated in place; prom-client is loaded and its
 * registry built on the first scrape, reading those numbers and the store at each scrape. A sidecar
 * nobody scrapes never loads it.
 */
export function createMetrics(store: ConfigStore, files?: ConfigFiles): Metrics {
  // route → status → count: two lookups and an increment, nothing allocated per request.
  const requests = new Map<RouteName, Map<number, number>>()
  const refreshes = { changed: 0, unchanged: 0, failed: 0 }
  const refreshErrors = new Map<string, number>()
  let decrypted = 0
  let streams = 0
  let longPolls = 0
  let registry: Promise<Registry> | undefined

  const build = async (): Promise<Registry> => {
    const { Counter, Gauge, Registry } = interopDefault(await import('prom-client'))
    const built = new Registry()
    const registers = [built]
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read())
        },
      })
    }

    new Counter({
      name: 'config_sidecar_refresh_total',
      help: 'Refreshes of the config source by outcome (changed, unchanged, failed).',
      labelNames: ['outcome'] as const,
      registers,
      collect() {
        this.reset()
        for (const [outcome, count] of Object.entries(refreshes)) this.inc({ outcome }, count)
      },
    })
    new Counter({
      name: 'config_sidecar_refresh_errors_total',
      help: 'Failed refreshes by error code.',
      labelNames: ['code'] as const,
      registers,
      collect() {
        this.reset()
        for (const [code, count] of refreshErrors) this.inc({ code }, count)
      },
    })
    new Counter({
      name: 'config_sidecar_secrets_decrypted_total',
      help: 'Secrets decrypted (unchanged secrets are not decrypted again).',
      registers,
      collect() {
        this.reset()
        this.inc(decrypted)
      },
    })
    new Counter({
      name: 'config_sidecar_http_requests_total',
      help: 'Requests answered, by route and status.',
      labelNames: ['route', 'status'] as const,
      registers,
      collect() {
        this.reset()
        for (const [route, statuses] of requests) {
          for (const [status, count] of statuses) this.inc({ route, status: String(status) }, count)
        }
      },
    })
    gauge(
      'config_sidecar_staleness_seconds',
      'Seconds since the source last confirmed the served config (0 before any config).',
      () => (store.ageMs() ?? 0) / 1000,
    )
    gauge(
      'config_sidecar_last_success_timestamp_seconds',
      'When the source last confirmed the served config (Unix time; 0 before any config).',
      () => (store.status().lastSuccessAt ?? 0) / 1000,
    )
    gauge(
      'config_sidecar_stale',
      '1 while the served config is marked stale (last refresh failed, or served from the snapshot).',
      () => (store.isStale() ? 1 : 0),
    )
    gauge('config_sidecar_ready', '1 while /readyz answers 200.', () =>
      store.current() !== undefined && !store.tooStale() ? 1 : 0,
    )
    gauge(
      'config_sidecar_secrets',
      'Decrypted secrets in the served config.',
      () => store.current()?.secretCount ?? 0,
    )
    gauge(
      'config_sidecar_open_streams',
      'Open Server-Sent Events streams on /config/.',
      () => streams,
    )
    gauge(
      'config_sidecar_waiting_long_polls',
      'Long polls on /config/ waiting for a change.',
      () => longPolls,
    )
    gauge('config_sidecar_resident_memory_bytes', 'Resident set size of the sidecar process.', () =>
      process.memoryUsage.rss(),
    )
    new Gauge({
      name: 'config_sidecar_config_info',
      help: 'The served config: version and ETag as labels, value 1.',
      labelNames: ['version', 'etag'] as const,
      registers,
      collect() {
        this.reset()
        const state = store.current()
        if (state !== undefined)
          this.set({ version: state.version, etag: state.full.etag.slice(1, -1) }, 1)
      },
    })
    if (files !== undefined) registerFileMetrics(Counter, Gauge, registers, files)
    return built
  }

  return {
    countRequest(route, status) {
      let statuses = requests.get(route)
      if (statuses === undefined) requests.set(route, (statuses = new Map<number, number>()))
      statuses.set(status, (statuses.get(status) ?? 0) + 1)
    },
    recordRefresh(outcome) {
      refreshes[outcome.outcome] += 1
      if (outcome.error !== undefined)
        refreshErrors.set(outcome.error.code, (refreshErrors.get(outcome.error.code) ?? 0) + 1)
      decrypted += outcome.decrypted
    },
    setWaiting(openStreams, waitingPolls) {
      streams = openStreams
      longPolls = waitingPolls
    },
    async render() {
      registry ??= build()
      const built = await registry
      return { contentType: built.contentType, text: await built.metrics() }
    },
    configFiles: () => files?.status(),
  }
}

/** The metrics of Config as files, read from the writer's status at each scrape. */
function registerFileMetrics(
  Counter: typeof PromCounter,
  Gauge: typeof PromGauge,
  registers: Registry[],
  files: ConfigFiles,
): void {
  new Counter({
    name: 'config_sidecar_file_writes_total',
    help: 'Writes of the CONFIG_WRITE_FILE files by outcome (written, failed, refused: the format cannot hold the config).',
    labelNames: ['outcome'] as const,
    registers,
    collect() {
      this.reset()
      for (const [outcome, count] of Object.entries(files.status().writes))
        this.inc({ outcome }, count)
    },
  })
  if (files.status().onChange === undefined) return
  new Counter({
    name: 'config_sidecar_on_change_runs_total',
    help: 'Runs of CONFIG_ON_CHANGE by outcome (ok, failed: exit status not 0, timeout, error: could not start).',
    labelNames: ['outcome'] as const,
    registers,
    collect() {
      this.reset()
      for (const [outcome, count] of Object.entries(files.status().onChange?.runs ?? {}))
        this.inc({ outcome }, count)
    },
  })
  new Gauge({
    name: 'config_sidecar_on_change_last_exit_code',
    help: 'Exit status of the last CONFIG_ON_CHANGE run; -1 before the first run and when it did not exit by itself (timeout, signal, no start).',
    registers,
    collect() {
      this.set(files.status().onChange?.last?.exitCode ?? -1)
    },
  })
  new Gauge({
    name: 'config_sidecar_on_change_last_run_timestamp_seconds',
    help: 'When the last CONFIG_ON_CHANGE run started (Unix time; 0 before the first run).',
    registers,
    collect() {
      this.set((files.status().onChange?.last?.startedAt ?? 0) / 1000)
    },
  })
  new Gauge({
    name: 'config_sidecar_on_change_running',
    help: '1 while CONFIG_ON_CHANGE runs.',
    registers,
    collect() {
      this.set(files.status().onChange?.running === true ? 1 : 0)
    },
  })
}
