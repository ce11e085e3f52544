import { SidecarError, toSidecarError } from '../support/errors.js'
import type { Logger } from '../support/logger.js'
import { prepareConfig } from '../document/prepare.js'
import type { Settings } from '../settings/settings.js'
import { loadKeys } from '../document/keys.js'
import { createSource } from '../sources/create-source.js'
import { createSnapshotStore } from '../state/snapshot.js'

/**
 * One-shot mode for init containers and jobs: fetch the config, parse it, check that every secret
 * decrypts, write the snapshot, and report. Resolves with the exit code (0 on success); on failure
 * the log line names the code and the reason (a key path or a file, never a value).
 */
export async function runOnce(settings: Settings, logger: Logger): Promise<number> {
  const started = Date.now()
  try {
    const decryptor = await loadKeys(settings.keys)
    const source = createSource(settings)
    const result = await source.fetch(undefined, AbortSignal.timeout(60_000))
    if (result.kind !== 'changed')
      throw new SidecarError(
        'ERR_UPSTREAM_HTTP_STATUS',
        `${source.display} answered "not modified" to an unconditional request`,
      )
    const prepared = await prepareConfig(result.raw, {
      where: source.display,
      decryptor,
      previous: new Map(),
      version: result.version,
    })
    const snapshots = createSnapshotStore(settings.cacheDir, source.display)
    try {
      await snapshots.write(result.raw, result.validators, result.version)
    } catch (error) {
      // A cache directory that cannot be written (read-only file system, missing volume) is a
      // setting problem the log must name; the fs error's code says which.
      throw new SidecarError(
        'ERR_INTERNAL',
        `the snapshot cannot be written to ${settings.cacheDir} (CONFIG_CACHE_DIR): ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
        { cause: error },
      )
    }
    logger.info('one-shot refresh done: config verified and snapshot written', {
      source: source.display,
      version: prepared.version,
      secrets: prepared.secretPaths.length,
      snapshot: snapshots.path,
      durationMs: Date.now() - started,
    })
    return 0
  } catch (thrown) {
    const error = toSidecarError(thrown)
    logger.error('one-shot refresh failed', { code: error.code, reason: error.message })
    return 1
  }
}
