import { SidecarError, toSidecarError } from '../support/errors.js'
import type { Logger } from '../support/logger.js'
import { prepareConfig } from '../document/prepare.js'
import type { Settings } from '../settings/settings.js'
import { warnOfDemoKey } from '../document/demo-key.js'
import { loadKeySet } from '../document/keys.js'
import { createSource } from '../sources/create-source.js'
import { createSnapshotStore } from '../state/snapshot.js'
import { createServedConfig } from '../state/served-config.js'
import type { ServedConfig } from '../state/served-config.js'
import { createConfigFiles } from '../files/config-files.js'

/**
 * One-shot mode for init containers and jobs: fetch the config, parse it, check that every secret
 * decrypts and that every file of CONFIG_WRITE_FILE can hold it, write the snapshot and the files
 * (then CONFIG_ON_CHANGE if a file changed, waited for: its failure is logged, not fatal), and
 * report. Warns, as serving mode does, when CONFIG_KEYS holds the shipped demo key. Resolves with
 * the exit code (0 on success); on failure the log line names the code and the reason (a key path
 * or a file, never a value).
 */
export async function runOnce(settings: Settings, logger: Logger): Promise<number> {
  const started = Date.now()
  try {
    const { decryptor, demoKeyIds } = await loadKeySet(settings.keys)
    // As serving mode does: a dry run with the shipped demo key must not pass for a real one.
    warnOfDemoKey(logger, demoKeyIds)
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
    for (const notice of prepared.notices)
      logger.warn('upstream document notice', { source: source.display, notice })
    // Every file must be able to hold the config before anything is written.
    const served = createServedConfig(prepared)
    for (const file of settings.writeFiles) {
      const view = served.format(file.format, false)
      if (!('body' in view))
        throw new SidecarError(
          'ERR_DOCUMENT_INVALID',
          `${file.path} (CONFIG_WRITE_FILE): ${view.refused}`,
        )
    }
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
    const files = await writeFiles(settings, served, logger)
    logger.info('one-shot refresh done: config verified and snapshot written', {
      source: source.display,
      version: prepared.version,
      secrets: prepared.secretPaths.length,
      snapshot: snapshots.path,
      ...files,
      durationMs: Date.now() - started,
    })
    return 0
  } catch (thrown) {
    const error = toSidecarError(thrown)
    logger.error('one-shot refresh failed', { code: error.code, reason: error.message })
    return 1
  }
}

/**
 * Writes the files of CONFIG_WRITE_FILE (unchanged ones are left alone) and waits for CONFIG_ON_CHANGE
 * if it ran. Throws when a file cannot be written; resolves with the paths for the log line.
 */
async function writeFiles(
  settings: Settings,
  served: ServedConfig,
  logger: Logger,
): Promise<{ files?: string }> {
  if (settings.writeFiles.length === 0 && settings.onChange === undefined) return {}
  const files = createConfigFiles({
    files: settings.writeFiles,
    onChange: settings.onChange,
    logger,
  })
  try {
    const pass = await files.update(served)
    const failed = pass.files.find(
      (file) => file.outcome === 'failed' || file.outcome === 'refused',
    )
    if (failed !== undefined)
      throw new SidecarError(
        'ERR_INTERNAL',
        `${failed.reason ?? `cannot write ${failed.path}`} (CONFIG_WRITE_FILE)`,
      )
    await files.settled()
  } finally {
    await files.stop()
  }
  return { files: settings.writeFiles.map((file) => file.path).join(',') }
}
