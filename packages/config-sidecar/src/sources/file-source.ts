import { hash } from 'node:crypto'
import { readFile, readdir, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { SidecarError } from '../errors.js'
import { DOCUMENT_LIMITS } from '../document/limits.js'
import { detectFormat, parseDocument } from '../document/parse.js'
import { deepMerge, newRecord } from '../document/record.js'
import { watchConfigPath } from '../watcher.js'
import type { ConfigSource, FetchResult, Validators } from './source.js'

const CONFIG_FILE = /\.(json|ya?ml)$/i

/**
 * A JSON or YAML file, or a directory of them (merged in name order, later files winning; names
 * starting with a dot are skipped, which also skips Kubernetes' `..data` bookkeeping). An unchanged
 * content hash costs no parsing. A file that changes while it is read is refused and retried.
 */
export function createFileSource(path: string): ConfigSource {
  const display = `file:${path}`
  return {
    display,
    kind: 'file',
    async fetch(validators: Validators | undefined): Promise<FetchResult> {
      const files = await readConfigFiles(path)
      const digest = hash(
        'sha256',
        Buffer.concat(
          files.flatMap((file) => [Buffer.from(`${file.name}\0`), file.body, Buffer.from('\0')]),
        ),
        'base64url',
      )
      if (validators?.contentHash === digest) return { kind: 'unchanged', validators }

      const merged = newRecord()
      for (const file of files) {
        const text = file.body.toString('utf8')
        deepMerge(
          merged,
          await parseDocument(
            text,
            detectFormat({ fileName: file.name }, text),
            `file:${file.path}`,
          ),
        )
      }
      return {
        kind: 'changed',
        raw: { body: Buffer.from(JSON.stringify(merged), 'utf8'), contentType: 'application/json' },
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

async function readConfigFiles(path: string): Promise<ConfigFile[]> {
  const stats = await stat(path).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code
    const missing = code === 'ENOENT'
    throw new SidecarError(
      missing ? 'ERR_SOURCE_NOT_FOUND' : 'ERR_SOURCE_UNREADABLE',
      `file:${path} ${missing ? 'does not exist' : `cannot be read (${code ?? 'error'})`}`,
      {
        transient: true,
      },
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
      { transient: true },
    )
  }
  const files: ConfigFile[] = []
  let total = 0
  for (const file of paths) {
    const body = await readStable(file)
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

// A file that changes while it is read may be half written: refuse it; the watcher fires again.
async function readStable(file: string): Promise<Buffer> {
  try {
    const before = await stat(file)
    if (before.size > DOCUMENT_LIMITS.maxBytes) {
      throw new SidecarError(
        'ERR_DOCUMENT_TOO_LARGE',
        `file:${file} is ${before.size} bytes, over the limit of ${DOCUMENT_LIMITS.maxBytes}`,
      )
    }
    const body = await readFile(file)
    const after = await stat(file)
    if (
      after.size !== before.size ||
      after.mtimeMs !== before.mtimeMs ||
      body.length !== after.size
    ) {
      throw new SidecarError('ERR_SOURCE_UNREADABLE', `file:${file} changed while it was read`, {
        transient: true,
      })
    }
    return body
  } catch (error) {
    if (error instanceof SidecarError) throw error
    const code = (error as NodeJS.ErrnoException).code
    throw new SidecarError(
      code === 'ENOENT' ? 'ERR_SOURCE_NOT_FOUND' : 'ERR_SOURCE_UNREADABLE',
      `file:${file} cannot be read (${code ?? 'error'})`,
      {
        transient: true,
      },
    )
  }
}
