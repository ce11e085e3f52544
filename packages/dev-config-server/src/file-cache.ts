// The parsed config files, kept while each file's stat stays the same, with every document's profile
// gate read out.
import { readFile, stat } from 'node:fs/promises'
import { DevConfigError, isDevConfigError } from './errors.js'
import type { PropertyValue } from './flatten.js'
import { parseConfigFile } from './parse.js'
import type { FileFormat } from './parse.js'
import { readGate } from './profiles.js'
import type { ProfileCondition } from './profiles.js'

/** Largest config file read, in bytes (the sidecar refuses larger documents anyway). */
export const MAX_FILE_BYTES = 4 * 1024 * 1024

/** One document of a file, flattened into Spring property form. */
export interface LoadedDocument {
  /** The file's path below the config directory, plus `(document #n)` when it holds several. */
  readonly name: string
  /** The document's properties, its profile gate left out. */
  readonly source: ReadonlyMap<string, PropertyValue>
  /** The document's profile gate, or undefined when it applies always. */
  readonly onProfile: ProfileCondition | undefined
}

export interface LoadedFile {
  readonly documents: readonly LoadedDocument[]
}

export interface FileCache {
  /**
   * The file's documents, or undefined when no regular file is at `path`. Parsed files are kept
   * while the file's size, mtime, ctime and inode stay the same; a bad file throws its error.
   */
  load(path: string, where: string, format: FileFormat): Promise<LoadedFile | undefined>
  /** Forgets every parsed file (the watcher calls this on any change). */
  clear(): void
}

export function createFileCache(): FileCache {
  const entries = new Map<string, { stamp: string; result: LoadedFile | DevConfigError }>()

  return {
    async load(path, where, format) {
      let stats
      try {
        stats = await stat(path)
      } catch (error) {
        entries.delete(path)
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
        throw new DevConfigError(
          500,
          'unreadable_config',
          `${where} cannot be read (${code ?? 'error'})`,
        )
      }
      if (!stats.isFile()) {
        entries.delete(path)
        return undefined
      }
      // Stamped before the read: if the file changes during the read, the next stat differs.
      const stamp = `${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}:${stats.ino}`
      const cached = entries.get(path)
      if (cached?.stamp !== stamp) {
        const result = await read(path, where, format, stats.size)
        entries.set(path, { stamp, result })
        if (isDevConfigError(result)) throw result
        return result
      }
      if (isDevConfigError(cached.result)) throw cached.result
      return cached.result
    },
    clear() {
      entries.clear()
    },
  }
}

async function read(
  path: string,
  where: string,
  format: FileFormat,
  size: number,
): Promise<LoadedFile | DevConfigError> {
  if (size > MAX_FILE_BYTES) {
    return new DevConfigError(
      500,
      'invalid_config',
      `${where} is larger than ${MAX_FILE_BYTES} bytes`,
    )
  }
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    // Removed between the stat and the read: served as absent by the next request.
    return new DevConfigError(
      500,
      'unreadable_config',
      `${where} cannot be read (${code ?? 'error'})`,
    )
  }
  try {
    const documents = parseConfigFile(bytes, format, where).map(({ name, source }) => {
      const gated = readGate(source, name)
      return { name, source: gated.source, onProfile: gated.condition }
    })
    return { documents }
  } catch (error) {
    if (isDevConfigError(error)) return error
    throw error
  }
}
