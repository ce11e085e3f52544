// CONFIG_WRITE_FILE: every accepted config written to each file in the format its extension names,
// atomically (temp file in the same directory, fsync, rename), mode 0600, only when the rendered
// bytes change; then CONFIG_ON_CHANGE, once per pass that changed a file.
import { readFile } from 'node:fs/promises'
import type { Format } from '../settings/formats.js'
import type { WriteFile } from '../settings/types.js'
import type { FormatView, Representation, ServedConfig } from '../state/served-config.js'
import { removeStaleTempFiles, writeFileAtomic } from '../support/atomic-file.js'
import type { Logger } from '../support/logger.js'
import { createOnChangeRunner } from './on-change.js'
import type { OnChangeRunner, OnChangeStatus } from './on-change.js'

/** After a write fails (a full disk, a permission), the files are tried again this much later. */
const RETRY_MS = 5_000

export type WriteOutcome = 'written' | 'unchanged' | 'failed' | 'refused'

/** What one pass did to one file. */
export interface FileResult {
  readonly path: string
  readonly format: Format
  readonly outcome: WriteOutcome
  /** Why it failed or was refused: key paths and an error code, never a value. */
  readonly reason?: string
}

/** One pass over the files for one config. */
export interface WritePass {
  readonly version: string
  readonly files: readonly FileResult[]
  /** True when some file's bytes changed (so CONFIG_ON_CHANGE runs). */
  readonly changed: boolean
}

/** A file as /status shows it. */
export interface FileStatus {
  readonly path: string
  readonly format: Format
  /** The version the file holds now, as far as this process knows (null before the first pass). */
  readonly version: string | null
  /** When this process last replaced the file (epoch ms). */
  readonly writtenAt: number | undefined
  readonly lastError:
    | { readonly outcome: 'failed' | 'refused'; readonly reason: string; readonly at: number }
    | undefined
}

export interface ConfigFilesStatus {
  readonly files: readonly FileStatus[]
  readonly writes: Readonly<Record<Exclude<WriteOutcome, 'unchanged'>, number>>
  /** Undefined when CONFIG_ON_CHANGE is not set. */
  readonly onChange: OnChangeStatus | undefined
}

export interface ConfigFiles {
  /**
   * Writes `config` to every file whose bytes differ, then runs CONFIG_ON_CHANGE if any did (with no
   * files, after every new config). Passes never overlap; a config that arrives during a pass is
   * written after it, and only the newest one. Resolves with the pass that covered `config` (or a
   * newer one). Never rejects.
   */
  update(config: ServedConfig): Promise<WritePass>
  status(): ConfigFilesStatus
  /** Resolves when no pass is in progress or waiting (an on-change run may still be). */
  written(): Promise<void>
  /** Resolves when no pass and no on-change run is in progress or waiting. */
  settled(): Promise<void>
  /** Waits for the pass in progress, stops retrying, drops a queued run and kills a running one. */
  stop(): Promise<void>
}

export interface ConfigFilesOptions {
  readonly files: readonly WriteFile[]
  /** CONFIG_ON_CHANGE. */
  readonly onChange: string | undefined
  readonly logger: Logger
  /** The on-change command's time limit (default 60 s). */
  readonly onChangeTimeoutMs?: number | undefined
  /** The environment the on-change command inherits (default: the sidecar's). */
  readonly baseEnv?: NodeJS.ProcessEnv | undefined
  /** How long after a failed write the files are tried again (default 5 s). */
  readonly retryMs?: number
  readonly now?: () => number
}

interface Tracked {
  readonly file: WriteFile
  /** The bytes the file holds, as far as this process knows; undefined until read or written. */
  bytes: Buffer | undefined
  /** False until the file on disk has been read once (and stale temp files removed). */
  known: boolean
  version: string | null
  writtenAt: number | undefined
  lastError: FileStatus['lastError']
}

export function createConfigFiles(options: ConfigFilesOptions): ConfigFiles {
  const { logger } = options
  const now = options.now ?? Date.now
  const tracked: Tracked[] = options.files.map((file) => ({
    file,
    bytes: undefined,
    known: false,
    version: null,
    writtenAt: undefined,
    lastError: undefined,
  }))
  const writes = { written: 0, failed: 0, refused: 0 }
  const hook: OnChangeRunner | undefined =
    options.onChange === undefined
      ? undefined
      : createOnChangeRunner({
          command: options.onChange,
          logger,
          timeoutMs: options.onChangeTimeoutMs,
          baseEnv: options.baseEnv,
          now,
        })
  let latest: ServedConfig | undefined
  let lastWritten: ServedConfig | undefined
  let pending: ServedConfig | undefined
  let waiters: ((pass: WritePass) => void)[] = []
  let draining: Promise<void> | undefined
  let retry: NodeJS.Timeout | undefined
  let stopped = false

  const writeOne = async (entry: Tracked, config: ServedConfig): Promise<FileResult> => {
    const { path, format } = entry.file
    const view: FormatView = config.format(format, false)
    if (!('body' in view)) {
      entry.lastError = { outcome: 'refused', reason: view.refused, at: now() }
      writes.refused += 1
      logger.error('a file of CONFIG_WRITE_FILE cannot hold this config; it keeps what it had', {
        path,
        format,
        version: config.version,
        reason: view.refused,
      })
      return { path, format, outcome: 'refused', reason: view.refused }
    }
    const representation: Representation = view
    try {
      if (!entry.known) {
        await removeStaleTempFiles(path)
        entry.bytes = await readFile(path).catch(() => undefined)
        entry.known = true
      }
      if (entry.bytes !== undefined && entry.bytes.equals(representation.body)) {
        entry.version = config.version
        entry.lastError = undefined
        return { path, format, outcome: 'unchanged' }
      }
      await writeFileAtomic(path, representation.body)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error'
      const reason = `cannot write ${path}: ${code}`
      entry.lastError = { outcome: 'failed', reason, at: now() }
      entry.known = false
      writes.failed += 1
      logger.warn('could not write a file of CONFIG_WRITE_FILE; trying again later', {
        path,
        format,
        version: config.version,
        code,
      })
      return { path, format, outcome: 'failed', reason }
    }
    entry.bytes = representation.body
    entry.version = config.version
    entry.writtenAt = now()
    entry.lastError = undefined
    writes.written += 1
    if (representation.notes !== undefined && representation.notes.length > 0) {
      logger.warn('values in the .env file that sh reads exactly but dotenv parsers may not', {
        path,
        keys: representation.notes.slice(0, 100).join(','),
        more: Math.max(0, representation.notes.length - 100),
      })
    }
    return { path, format, outcome: 'written' }
  }

  const pass = async (config: ServedConfig): Promise<WritePass> => {
    const files: FileResult[] = []
    // One file after the other: a reader of several files sees them change in the listed order.
    for (const entry of tracked) files.push(await writeOne(entry, config))
    const written = files.filter((file) => file.outcome === 'written')
    const changed =
      tracked.length === 0 ? lastWritten?.full.etag !== config.full.etag : written.length > 0
    lastWritten = config
    if (written.length > 0) {
      logger.info('config files written', {
        version: config.version,
        files: written.map((file) => file.path).join(','),
      })
    }
    if (files.some((file) => file.outcome === 'failed')) scheduleRetry()
    if (changed) hook?.request(config)
    return { version: config.version, files, changed }
  }

  const scheduleRetry = (): void => {
    if (stopped || retry !== undefined) return
    retry = setTimeout(() => {
      retry = undefined
      if (latest !== undefined && pending === undefined) void enqueue(latest)
    }, options.retryMs ?? RETRY_MS)
    retry.unref()
  }

  const drain = async (): Promise<void> => {
    while (pending !== undefined) {
      const config = pending
      pending = undefined
      const done = waiters
      waiters = []
      const result = await pass(config)
      for (const resolve of done) resolve(result)
    }
    draining = undefined
  }

  const enqueue = (config: ServedConfig): Promise<WritePass> => {
    latest = config
    pending = config
    const result = new Promise<WritePass>((resolve) => waiters.push(resolve))
    draining ??= drain()
    return result
  }

  return {
    update(config) {
      if (stopped) return Promise.resolve({ version: config.version, files: [], changed: false })
      return enqueue(config)
    },
    status: () => ({
      files: tracked.map((entry) => ({
        path: entry.file.path,
        format: entry.file.format,
        version: entry.version,
        writtenAt: entry.writtenAt,
        lastError: entry.lastError,
      })),
      writes: { ...writes },
      onChange: hook?.status(),
    }),
    async written() {
      while (draining !== undefined) await draining
    },
    async settled() {
      while (draining !== undefined) await draining
      await hook?.idle()
    },
    async stop() {
      stopped = true
      clearTimeout(retry)
      while (draining !== undefined) await draining
      await hook?.stop()
    },
  }
}
