import { ConfigError, SidecarError, toSidecarError } from './errors.js'
import type { Logger } from './logger.js'
import { prepareConfig } from './pipeline.js'
import type { Settings } from './settings.js'
import { createSource, loadDecryptor } from './sidecar.js'
import { createSnapshotStore } from './snapshot.js'

/**
 * One-shot mode for init containers and jobs: fetch the config, parse it, check that every secret
 * decrypts, write the snapshot, and report. Resolves with the exit code (0 on success); on failure
 * the log line names the code and the reason (a key path or a file, never a value).
 */
export async function runOnce(settings: Settings, logger: Logger): Promise<number> {
  const started = Date.now()
  try {
    const decryptor = await loadKeys(settings)
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
      version: prepared.state.version,
      secrets: prepared.state.secretCount,
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

/** The decryptor for CONFIG_KEYS; unusable keys (a missing file, bad JSON) fail with the reason. */
async function loadKeys(settings: Settings): ReturnType<typeof loadDecryptor> {
  try {
    return await loadDecryptor(settings)
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new SidecarError('ERR_SECRET_NO_KEYS', error.problems.join('; '), { cause: error })
    }
    throw error
  }
}
