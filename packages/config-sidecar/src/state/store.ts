import type { ErrorCode } from '@sample/shared'
import type { ServedConfig } from './served-config.js'
import { createChangeLog } from './change-log.js'
import type { ChangeLog, ChangeRecord } from './change-log.js'
import type { SidecarError } from '../support/errors.js'

/** The last refresh failure, safe to show: a code and a message naming keys, never values. */
export interface RefreshFailure {
  readonly code: ErrorCode
  readonly message: string
  readonly at: number
}

/** What the store knows, for /readyz, /status, /metrics and the config headers. */
export interface StoreStatus {
  readonly config: ServedConfig | undefined
  /** Last time the source confirmed the served config (epoch ms). */
  readonly lastSuccessAt: number | undefined
  /** Last time the served config changed. */
  readonly lastChangeAt: number | undefined
  /** The last change and the paths it named (none before the first change). */
  readonly lastChange: ChangeRecord | undefined
  readonly lastFailure: RefreshFailure | undefined
  /** True while the served config may not be what the source holds now. */
  readonly stale: boolean
  /** True while the served config came from the on-disk snapshot and the source has not confirmed it. */
  readonly fromSnapshot: boolean
}

export type ChangeListener = (state: ServedConfig) => void

/**
 * The last good config and the health around it. `fail` never drops a good config: it only marks
 * it stale. Listeners hear every change of the served config (long polls and streams share this
 * one signal).
 */
export interface ConfigStore {
  current(): ServedConfig | undefined
  status(): StoreStatus
  /** The `stale` flag of {@link status}, without building the status (the hot path asks it). */
  isStale(): boolean
  /** Milliseconds since the source last confirmed the config; undefined before any config. */
  ageMs(): number | undefined
  /** True when CONFIG_MAX_STALENESS is set and the config is older than it. */
  tooStale(): boolean
  /** Serves `state`; answers the change (with the paths it named) when its bytes differ. */
  accept(
    state: ServedConfig,
    options?: { fromSnapshot?: boolean; confirmedAt?: number },
  ): ChangeRecord | undefined
  /** The last changes and the ETags served in between (`GET /changes`). */
  readonly changes: ChangeLog
  confirm(): void
  fail(error: SidecarError): void
  subscribe(listener: ChangeListener): () => void
}

export function createConfigStore(
  options: { maxStalenessMs?: number | undefined; now?: () => number } = {},
): ConfigStore {
  const now = options.now ?? Date.now
  let config: ServedConfig | undefined
  let lastSuccessAt: number | undefined
  let lastChangeAt: number | undefined
  let lastFailure: RefreshFailure | undefined
  let failing = false
  let fromSnapshot = false
  const listeners = new Set<ChangeListener>()
  const changes = createChangeLog()

  return {
    current: () => config,
    status: () => ({
      config,
      lastSuccessAt,
      lastChangeAt,
      lastChange: changes.last(),
      lastFailure,
      stale: config !== undefined && (failing || fromSnapshot),
      fromSnapshot,
    }),
    isStale: () => config !== undefined && (failing || fromSnapshot),
    ageMs: () => (lastSuccessAt === undefined ? undefined : Math.max(0, now() - lastSuccessAt)),
    tooStale() {
      if (options.maxStalenessMs === undefined || lastSuccessAt === undefined) return false
      return now() - lastSuccessAt > options.maxStalenessMs
    },
    accept(next, acceptOptions = {}) {
      const changed = config?.full.etag !== next.full.etag
      const change = changes.accept(config, next, now())
      config = next
      fromSnapshot = acceptOptions.fromSnapshot ?? false
      lastSuccessAt = acceptOptions.confirmedAt ?? now()
      if (!fromSnapshot) failing = false
      if (changed) {
        lastChangeAt = now()
        for (const listener of listeners) listener(next)
      }
      return change
    },
    changes,
    confirm() {
      lastSuccessAt = now()
      failing = false
      fromSnapshot = false
    },
    fail(error) {
      failing = true
      lastFailure = { code: error.code, message: error.message, at: now() }
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}
