import { pollDelayMs, retryDelayMs, retryLimits, splayDelayMs } from './backoff.js'
import type { SecretDecryptor } from '../document/crypto/index.js'
import { toSidecarError } from '../support/errors.js'
import type { SidecarError } from '../support/errors.js'
import type { Logger } from '../support/logger.js'
import { prepareConfig } from '../document/prepare.js'
import type { SecretCache } from '../document/secrets.js'
import { createServedConfig } from '../state/served-config.js'
import { changesBetween, limitChanges } from '../state/changes.js'
import type { KeyChanges } from '../state/changes.js'
import type { SnapshotStore } from '../state/snapshot.js'
import type { ConfigSource, Validators } from '../sources/source.js'
import type { ConfigStore } from '../state/store.js'

export type RefreshReason = 'start' | 'poll' | 'watch' | 'manual'

export interface RefreshOutcome {
  readonly outcome: 'changed' | 'unchanged' | 'failed'
  readonly reason: RefreshReason
  readonly version: string | undefined
  readonly error: SidecarError | undefined
  readonly durationMs: number
  /** Secrets decrypted by this refresh (0 when none changed). */
  readonly decrypted: number
  /** For `changed` after an earlier config: the paths it added, removed and changed. */
  readonly changes?: KeyChanges | undefined
}

export interface Refresher {
  /** Serves the on-disk snapshot, if there is a usable one, until the source answers. */
  restore(): Promise<void>
  /** Starts watching (file sources) and makes the first refresh; polling follows. */
  start(): Promise<RefreshOutcome>
  /** Refreshes now; a refresh already running is joined rather than doubled. */
  refresh(reason: RefreshReason): Promise<RefreshOutcome>
  /** When the next scheduled refresh runs (epoch ms). */
  nextRefreshAt(): number | undefined
  stop(): Promise<void>
}

export interface RefresherOptions {
  readonly source: ConfigSource
  readonly store: ConfigStore
  readonly decryptor: SecretDecryptor | undefined
  readonly snapshots: SnapshotStore | undefined
  readonly intervalMs: number
  readonly logger: Logger
  readonly onOutcome?: (outcome: RefreshOutcome) => void
  readonly random?: () => number
  readonly now?: () => number
}

/**
 * Drives a source: polls it every interval with jitter, backs off after failures, refreshes on file
 * events and on request, one fetch at a time. A good answer replaces the config and the snapshot;
 * a failure only marks the config stale.
 */
export function createRefresher(options: RefresherOptions): Refresher {
  const { source, store, logger } = options
  const now = options.now ?? Date.now
  const random = options.random ?? Math.random
  const limits = retryLimits(options.intervalMs)
  let validators: Validators | undefined
  /** The decrypted secrets of the served config: an unchanged secret is not decrypted again. */
  let secrets: SecretCache = new Map()
  let inFlight: Promise<RefreshOutcome> | undefined
  /** True while the refresh in flight waits for the source's answer. */
  let fetching = false
  /** The refresh that runs after the one in flight, for manual refreshes that came too late to join it. */
  let followUp: Promise<RefreshOutcome> | undefined
  let again = false
  let failures = 0
  let timer: NodeJS.Timeout | undefined
  let nextAt: number | undefined
  let stopped = false
  let stopWatching: (() => Promise<void>) | undefined
  const abort = new AbortController()

  // The first poll after the first fetch comes at a uniformly random point of one interval (the
  // splay: a fleet that restarts at once does not stay in step), then every interval ±10%.
  let splayed = false
  const schedule = (): void => {
    clearTimeout(timer)
    if (stopped) return
    let delay: number
    if (failures > 0) delay = retryDelayMs(failures, limits, random)
    else if (splayed) delay = pollDelayMs(options.intervalMs, random)
    else {
      splayed = true
      delay = splayDelayMs(options.intervalMs, random)
    }
    nextAt = now() + delay
    timer = setTimeout(() => void refresh('poll'), delay)
  }

  // Every outcome is recorded (metrics) before the store publishes it, so a client that sees the new
  // config also sees the refresh counted.
  const run = async (reason: RefreshReason): Promise<RefreshOutcome> => {
    const started = now()
    const settle = (
      kind: RefreshOutcome['outcome'],
      version: string | undefined,
      decrypted: number,
      error?: SidecarError,
      changes?: KeyChanges,
    ): RefreshOutcome => {
      const outcome = {
        outcome: kind,
        reason,
        version,
        error,
        durationMs: now() - started,
        decrypted,
        changes,
      }
      options.onOutcome?.(outcome)
      return outcome
    }
    let outcome: RefreshOutcome
    try {
      fetching = true
      const result = await source.fetch(validators, abort.signal).finally(() => (fetching = false))
      if (result.kind === 'unchanged') {
        validators = result.validators
        outcome = settle('unchanged', store.current()?.version, 0)
        store.confirm()
        void options.snapshots?.touch()
      } else {
        const prepared = await prepareConfig(result.raw, {
          where: source.display,
          decryptor: options.decryptor,
          previous: secrets,
          version: result.version,
        })
        logNotices(logger, source.display, prepared.notices)
        const next = createServedConfig(prepared)
        const previous = store.current()
        const changed = previous?.full.etag !== next.full.etag
        // The paths that changed, compared by decrypted value: computed once for this pair, and
        // the store, the streams and the on-change command ask for the same pair.
        const changes =
          changed && previous !== undefined ? changesBetween(previous, next) : undefined
        outcome = settle(
          changed ? 'changed' : 'unchanged',
          next.version,
          prepared.decrypted,
          undefined,
          changes,
        )
        store.accept(next)
        secrets = prepared.secrets
        validators = result.validators
        await options.snapshots
          ?.write(result.raw, result.validators, result.version)
          .catch((error: unknown) => {
            logger.warn('could not write the snapshot', {
              path: options.snapshots?.path,
              reason: (error as Error).message,
            })
          })
        if (changed) {
          const listed = changes === undefined ? undefined : limitChanges(changes)
          logger.info('config changed', {
            source: source.display,
            version: next.version,
            previousVersion: previous?.version ?? null,
            secrets: next.secretCount,
            decrypted: prepared.decrypted,
            durationMs: outcome.durationMs,
            // Paths only (comma-separated, at most 100 in all), never a value.
            added: listed?.added.join(','),
            removed: listed?.removed.join(','),
            changed: listed?.changed.join(','),
            more: listed?.more,
          })
        }
      }
      if (failures > 0) {
        logger.info('the source answers again; the config is fresh', {
          source: source.display,
          failedRefreshes: failures,
          version: store.current()?.version ?? null,
        })
      }
      failures = 0
    } catch (thrown) {
      const error = toSidecarError(thrown)
      failures += 1
      outcome = settle('failed', store.current()?.version, 0, error)
      store.fail(error)
      logger.warn('refresh failed; the last good config stays served', {
        source: source.display,
        code: error.code,
        reason: error.message,
        failures,
        servingVersion: store.current()?.version ?? null,
      })
    }
    return outcome
  }

  const refresh = (reason: RefreshReason): Promise<RefreshOutcome> => {
    if (inFlight !== undefined) {
      if (reason === 'watch') again = true
      // A manual refresh answers with the source as it is now: it shares a fetch still waiting for
      // the source, but once the source has answered (parsing, decrypting, writing the snapshot),
      // one more refresh follows, shared by every manual refresh that arrives meanwhile.
      if (reason === 'manual' && !fetching) {
        const current = inFlight
        followUp ??= current.then(() => {
          followUp = undefined
          return inFlight ?? refresh('manual')
        })
        return followUp
      }
      return inFlight
    }
    clearTimeout(timer)
    inFlight = run(reason).finally(() => {
      inFlight = undefined
      if (again && !stopped) {
        again = false
        void refresh('watch')
      } else {
        schedule()
      }
    })
    return inFlight
  }

  return {
    async restore() {
      if (options.snapshots === undefined) return
      const removed = await options.snapshots.removeStaleTemps()
      if (removed > 0)
        logger.info('removed temp files an earlier run left mid-write', {
          path: options.snapshots.path,
          removed,
        })
      const restored = await loadSnapshot(options)
      if (restored !== undefined) ({ validators, secrets } = restored)
    },
    async start() {
      if (source.watch !== undefined) {
        stopWatching = await source.watch(
          () => void refresh('watch'),
          (error) =>
            logger.warn('file watcher error', {
              source: source.display,
              reason: (error as Error).message,
            }),
        )
      }
      return refresh('start')
    },
    refresh,
    nextRefreshAt: () => (inFlight === undefined ? nextAt : now()),
    async stop() {
      stopped = true
      clearTimeout(timer)
      abort.abort()
      await stopWatching?.()
      await inFlight?.catch(() => undefined)
    },
  }
}

async function loadSnapshot(
  options: RefresherOptions,
): Promise<{ validators: Validators; secrets: SecretCache } | undefined> {
  const { snapshots, logger, store, source } = options
  try {
    const snapshot = await snapshots!.read()
    if (snapshot === undefined) return undefined
    const prepared = await prepareConfig(snapshot.raw, {
      where: `snapshot of ${source.display}`,
      decryptor: options.decryptor,
      previous: new Map(),
      version: snapshot.version,
    })
    logNotices(logger, `snapshot of ${source.display}`, prepared.notices)
    const config = createServedConfig(prepared)
    store.accept(config, { fromSnapshot: true, confirmedAt: snapshot.confirmedAt })
    logger.info('serving the last-known-good snapshot until the source answers', {
      path: snapshots!.path,
      version: config.version,
      confirmedAt: new Date(snapshot.confirmedAt).toISOString(),
    })
    return { validators: snapshot.validators, secrets: prepared.secrets }
  } catch (thrown) {
    const error = toSidecarError(thrown)
    logger.warn('the snapshot cannot be used', {
      path: snapshots!.path,
      code: error.code,
      reason: error.message,
    })
    return undefined
  }
}

/** What the document stage noticed without refusing the document (a version not fit for a header). */
export function logNotices(logger: Logger, source: string, notices: readonly string[]): void {
  for (const notice of notices) logger.warn('upstream document notice', { source, notice })
}
