import { hash } from 'node:crypto'
import { readFile, stat, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { removeStaleTempFiles, writeFileAtomic } from '../support/atomic-file.js'
import { SidecarError } from '../support/errors.js'
import type { RawConfig, RawDocument, Validators } from '../sources/source.js'

/** Clock differences tolerated before a snapshot's mtime counts as in the future. */
const FUTURE_TOLERANCE_MS = 5_000

/** What the last-known-good file holds: the source's answer as it came (secrets still encrypted). */
export interface Snapshot {
  readonly raw: RawConfig
  readonly validators: Validators
  readonly version: string | undefined
  /** When the source last confirmed this content (the file's modification time). */
  readonly confirmedAt: number
}

interface SnapshotFile {
  format: 2
  source: string
  savedAt: string
  etag: string | null
  lastModified: string | null
  contentHash: string | null
  version: string | null
  /** The documents as fetched, in order (one, or a directory's files). */
  documents: { contentType: string | null; file: string | null; body: string }[]
}

/** Format 1 (before a directory's files were kept apart) held one document. */
interface SnapshotFileV1 extends Omit<SnapshotFile, 'format' | 'documents'> {
  format: 1
  contentType: string | null
  body: string
}

export interface SnapshotStore {
  readonly path: string
  read(): Promise<Snapshot | undefined>
  write(raw: RawConfig, validators: Validators, version: string | undefined): Promise<void>
  /** Records that the source confirmed the snapshot's content now. */
  touch(): Promise<void>
  /**
   * Removes temp files an earlier run left when it was killed mid-write (before this run writes);
   * resolves with how many.
   */
  removeStaleTemps(): Promise<number>
}

/**
 * The last-known-good snapshot of one source, in `cacheDir`. Writes are atomic (temp file, fsync,
 * rename, directory fsync) with mode 0600, so a crash leaves either the old or the new file whole.
 */
export function createSnapshotStore(cacheDir: string, sourceDisplay: string): SnapshotStore {
  const path = join(cacheDir, `snapshot-${hash('sha256', sourceDisplay, 'hex').slice(0, 16)}.json`)

  return {
    path,
    async read() {
      let text: string
      let mtimeMs: number
      try {
        ;[text, { mtimeMs }] = await Promise.all([readFile(path, 'utf8'), stat(path)])
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw new SidecarError('ERR_SNAPSHOT_UNREADABLE', `snapshot ${path} cannot be read`, {
          cause: error,
        })
      }
      let file: SnapshotFile | SnapshotFileV1
      try {
        file = JSON.parse(text) as SnapshotFile | SnapshotFileV1
      } catch {
        throw new SidecarError('ERR_SNAPSHOT_UNREADABLE', `snapshot ${path} is not JSON`)
      }
      const documents = documentsOf(file)
      if (documents === undefined) {
        throw new SidecarError('ERR_SNAPSHOT_UNREADABLE', `snapshot ${path} has an unknown format`)
      }
      if (file.source !== sourceDisplay) return undefined
      return {
        raw: { documents },
        validators: {
          etag: file.etag ?? undefined,
          lastModified: file.lastModified ?? undefined,
          contentHash: file.contentHash ?? undefined,
        },
        version: file.version ?? undefined,
        // A modification time in the future (a planted file, a clock step) counts as old: it
        // must not make a snapshot look fresh and defeat CONFIG_MAX_STALENESS.
        confirmedAt: mtimeMs > Date.now() + FUTURE_TOLERANCE_MS ? 0 : Math.min(mtimeMs, Date.now()),
      }
    },
    async write(raw, validators, version) {
      const file: SnapshotFile = {
        format: 2,
        source: sourceDisplay,
        savedAt: new Date().toISOString(),
        etag: validators.etag ?? null,
        lastModified: validators.lastModified ?? null,
        contentHash: validators.contentHash ?? null,
        version: version ?? null,
        documents: raw.documents.map((part) => ({
          contentType: part.contentType ?? null,
          file: part.file ?? null,
          body: part.body.toString('utf8'),
        })),
      }
      await writeFileAtomic(path, JSON.stringify(file))
    },
    async touch() {
      const now = new Date()
      await utimes(path, now, now).catch(() => undefined)
    },
    removeStaleTemps: () => removeStaleTempFiles(path),
  }
}

function documentsOf(file: SnapshotFile | SnapshotFileV1): RawDocument[] | undefined {
  if (file.format === 1 && typeof file.body === 'string') {
    return [{ body: Buffer.from(file.body, 'utf8'), contentType: file.contentType ?? undefined }]
  }
  if (file.format === 2 && Array.isArray(file.documents)) {
    if (!file.documents.every((part) => typeof part.body === 'string')) return undefined
    return file.documents.map((part) => ({
      body: Buffer.from(part.body, 'utf8'),
      contentType: part.contentType ?? undefined,
      file: part.file ?? undefined,
    }))
  }
  return undefined
}
