import { hash } from 'node:crypto'
import { readFile, readdir, stat } from 'node:fs/promises'
import type { Stats } from 'node:fs'
import { basename, join } from 'node:path'
import { SidecarError } from '../support/errors.js'
import { DOCUMENT_LIMITS } from '../support/limits.js'
import { watchConfigPath } from './watcher.js'
import type { ConfigSource, FetchResult, Validators } from './source.js'

const CONFIG_FILE = /\.(json|ya?ml)$/i

/**
 * A JSON or YAML file, or a directory of them (merged in name order, later files winning; names
 * starting with a dot are skipped, which also skips Kubernetes' `..data` bookkeeping). The files'
 * bytes go to the document stage as they are; an unchanged content hash costs no parsing there. A
 * file is read once it has been still for a moment, and one that changes while it is read is
 * refused and read again.
 */
/** Reads a whole file; the file source takes another only in tests (to change a file mid-read). */
export type FileReader = (file: string) => Promise<Buffer>

export function createFileSource(
  path: string,
  options: { readFile?: FileReader } = {},
): ConfigSource {
  const read = options.readFile ?? ((file: string) => readFile(file))
  const display = `file:${path}`
  return {
    display,
    kind: 'file',
    async fetch(validators: Validators | undefined): Promise<FetchResult> {
      const files = await readConfigFiles(path, read)
      const digest = hash(
        'sha256',
        Buffer.concat(
          files.flatMap((file) => [Buffer.from(`${file.name}\0`), file.body, Buffer.from('\0')]),
        ),
        'base64url',
      )
      if (validators?.contentHash === digest) return { kind: 'unchanged', validators }

      return {
        kind: 'changed',
        raw: {
          documents: files.map((file) => ({
            body: file.body,
            contentType: undefined,
            file: file.path,
          })),
        },
        validators: { contentHash: digest },
      }
    },
    watch: (onChange, onError) => watchConfigPath(path, onChange, onError),
  }
}

interface ConfigFile {
  readonly name: string
  readonly path: string
  readonly body: Buffer
}

async function readConfigFiles(path: string, read: FileReader): Promise<ConfigFile[]> {
  const stats = await stat(path).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code
    const missing = code === 'ENOENT'
    throw new SidecarError(
      missing ? 'ERR_SOURCE_NOT_FOUND' : 'ERR_SOURCE_UNREADABLE',
      `file:${path} ${missing ? 'does not exist' : `cannot be read (${code ?? 'error'})`}`,
    )
  })
  const paths = stats.isDirectory()
    ? (await readdir(path))
        .filter((name) => !name.startsWith('.') && CONFIG_FILE.test(name))
        .sort()
        .map((name) => join(path, name))
    : [path]
  if (paths.length === 0) {
    throw new SidecarError(
      'ERR_SOURCE_NOT_FOUND',
      `file:${path} holds no .json, .yaml or .yml file`,
    )
  }
  const files: ConfigFile[] = []
  let total = 0
  for (const file of paths) {
    const body = await readStable(file, read)
    total += body.length
    if (total > DOCUMENT_LIMITS.maxBytes) {
      throw new SidecarError(
        'ERR_DOCUMENT_TOO_LARGE',
        `file:${path} is over the limit of ${DOCUMENT_LIMITS.maxBytes} bytes`,
      )
    }
    files.push({ name: basename(file), path: file, body })
  }
  return files
}

/**
 * How long a file must have been still (its mtime at least this old) before it is read. A writer
 * that rewrites a file in place (scp, `>` redirection, most editors' "save in place") leaves a
 * prefix of the new content for a moment, and a prefix of a YAML mapping cut at a line is valid
 * YAML: only waiting for the file to be still keeps it from being served. Writers that rename into
 * place never need the wait.
 */
export const STILL_MS = 250
/** Most waits for a file to be still before the read is refused (and retried at the next event). */
const MAX_STILL_WAITS = 20

// A file that is being written, or changes while it is read, may be half written: it is refused
// (the watcher or the next poll reads it again once it is whole).
async function readStable(file: string, read: FileReader): Promise<Buffer> {
  try {
    const before = await waitUntilStill(file)
    if (before.size > DOCUMENT_LIMITS.maxBytes) {
      throw new SidecarError(
        'ERR_DOCUMENT_TOO_LARGE',
        `file:${file} is ${before.size} bytes, over the limit of ${DOCUMENT_LIMITS.maxBytes}`,
      )
    }
    const body = await read(file)
    const after = await stat(file)
    if (
      after.size !== before.size ||
      after.mtimeMs !== before.mtimeMs ||
      body.length !== after.size
    ) {
      throw new SidecarError('ERR_SOURCE_UNREADABLE', `file:${file} changed while it was read`)
    }
    return body
  } catch (error) {
    if (error instanceof SidecarError) throw error
    const code = (error as NodeJS.ErrnoException).code
    throw new SidecarError(
      code === 'ENOENT' ? 'ERR_SOURCE_NOT_FOUND' : 'ERR_SOURCE_UNREADABLE',
      `file:${file} cannot be read (${code ?? 'error'})`,
    )
  }
}

/**
 * Resolves with the file's stats once it has not changed for {@link STILL_MS}: at once when its
 * mtime is old enough, else after watching it stay the same for that long (which also covers an
 * mtime in the future).
 */
async function waitUntilStill(file: string): Promise<Stats> {
  const started = Date.now()
  let current = await stat(file)
  for (let wait = 0; wait < MAX_STILL_WAITS; wait += 1) {
    const age = Date.now() - current.mtimeMs
    if (age >= STILL_MS) return current
    await sleep(age >= 0 ? STILL_MS - age : STILL_MS)
    const next = await stat(file)
    if (age < 0 && next.mtimeMs === current.mtimeMs && next.size === current.size) return next
    current = next
  }
  throw new SidecarError(
    'ERR_SOURCE_UNREADABLE',
    `file:${file} is still being written (it kept changing for ${((Date.now() - started) / 1000).toFixed(1)} s)`,
  )
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
