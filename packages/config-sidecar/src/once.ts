import { SidecarError, toSidecarError } from './errors.js'
import type { Logger } from './logger.js'
import { prepareConfig } from './pipeline.js'
import type { Settings } from './settings.js'
import { createSource, loadDecryptor } from './sidecar.js'
import { createSnapshotStore } from './snapshot.js'

/**
 * One-shot mode for init containers and jobs: fetch the config, parse it, check that every secret
 * decrypts, write the snapshot, and report. Resolves with the exit code (0 on success).
 */
export async function runOnce(settings: Settings, logger: Logger): Promise<number> {
  const started = Date.now()
  try {
    const decryptor = await loadDecryptor(settings)
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
    await snapshots.write(result.raw, result.validators, result.version)
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
