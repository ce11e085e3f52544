// What is served: one accepted version of the config, with the bytes of each view prepared once.
import { createHmac, randomBytes } from 'node:crypto'
import { valueAtPath } from '../document/path.js'
import type { PreparedDocument } from '../document/prepare.js'
import { copy, isRecord } from '../document/record.js'
import type { ConfigRecord } from '../document/record.js'
import type { DocumentPath } from '../document/secrets.js'
import { isRefusal, renderFormat } from '../formats/render.js'
import type { RenderRefusal } from '../formats/render.js'
import type { Format } from '../settings/formats.js'

/** The bytes served for one view of the config, and their strong ETag. */
export interface Representation {
  readonly body: Buffer
  readonly etag: string
  /** The media type of a `?format=` view; JSON when absent. */
  readonly contentType?: string
  /** Key paths the format's readers should know about (see formats/render.ts). */
  readonly notes?: readonly string[]
}

/** The whole config in one format, or why that format cannot hold it (key paths, no values). */
export type FormatView = Representation | RenderRefusal

/** The value that replaces every decrypted secret in the `?redact` view. */
export const REDACTED = '[redacted]'

/**
 * One accepted version of the config, with everything the HTTP layer serves prepared once: the
 * body and ETag of the whole document, of its redacted view, and of sub-paths as they are asked
 * for. Requests then only pick bytes; nothing is serialised or hashed per request.
 */
export interface ServedConfig {
  /** The decrypted document. */
  readonly document: ConfigRecord
  readonly full: Representation
  /** The upstream's version when it gives one, else a hash of the bytes as fetched. */
  readonly version: string
  readonly secretCount: number
  redacted(): Representation
  /** The representation of the value at `path` (redacted or not); undefined when absent. */
  at(path: readonly string[], redact: boolean): Representation | undefined
  /**
   * The whole document (redacted or not) in a format of Config as files, rendered on first use and
   * kept with this version: `GET /config/?format=` and the files of CONFIG_WRITE_FILE share it.
   */
  format(format: Format, redact: boolean): FormatView
}

const MAX_CACHED_PATHS = 256

export function createServedConfig(
  input: Pick<PreparedDocument, 'document' | 'secretPaths' | 'version'>,
): ServedConfig {
  const full = represent(input.document)
  let redactedDocument: ConfigRecord | undefined
  let redacted: Representation | undefined
  const paths = new Map<string, Representation | null>()
  const formats = new Map<string, FormatView>()

  const redactedDoc = (): ConfigRecord => {
    redactedDocument ??= redact(input.document, input.secretPaths)
    return redactedDocument
  }

  return {
    document: input.document,
    full,
    version: input.version,
    secretCount: input.secretPaths.length,
    redacted() {
      redacted ??= input.secretPaths.length === 0 ? full : represent(redactedDoc())
      return redacted
    },
    at(path, redactSecrets) {
      if (path.length === 0) return redactSecrets ? this.redacted() : full
      const key = `${redactSecrets ? 'r' : 'p'}/${path.map(encodeURIComponent).join('/')}`
      const cached = paths.get(key)
      if (cached !== undefined) return cached ?? undefined
      const value = valueAtPath(redactSecrets ? redactedDoc() : input.document, path)
      const representation = value === undefined ? null : represent(value)
      if (paths.size >= MAX_CACHED_PATHS) paths.clear()
      paths.set(key, representation)
      return representation ?? undefined
    },
    format(format, redactSecrets) {
      if (format === 'json') return redactSecrets ? this.redacted() : full
      const key = `${format}/${redactSecrets ? 'r' : 'p'}`
      let view = formats.get(key)
      if (view === undefined) {
        const rendered = renderFormat(redactSecrets ? redactedDoc() : input.document, format)
        view = isRefusal(rendered)
          ? rendered
          : {
              ...representBytes(Buffer.from(rendered.text, 'utf8')),
              contentType: rendered.contentType,
              notes: rendered.notes,
            }
        formats.set(key, view)
      }
      return view
    },
  }
}

// The ETag key, made at start: an ETag changes exactly when the served bytes change, but an unkeyed
// hash of a document holding a decrypted 4-digit PIN would give the PIN away in 10,000 guesses.
const ETAG_KEY = randomBytes(32)

/** JSON bytes and a strong ETag: a keyed hash of exactly those bytes. */
export function represent(value: unknown): Representation {
  return representBytes(Buffer.from(JSON.stringify(value), 'utf8'))
}

function representBytes(body: Buffer): Representation {
  return { body, etag: `"${createHmac('sha256', ETAG_KEY).update(body).digest('base64url')}"` }
}

function redact(document: ConfigRecord, secretPaths: readonly DocumentPath[]): ConfigRecord {
  const out = copy(document) as ConfigRecord
  for (const path of secretPaths) {
    let parent: unknown = out
    for (const segment of path.slice(0, -1)) {
      parent = Array.isArray(parent)
        ? parent[segment as number]
        : isRecord(parent)
          ? parent[segment as string]
          : undefined
    }
    const last = path[path.length - 1]!
    if (Array.isArray(parent)) parent[last as number] = REDACTED
    else if (isRecord(parent)) parent[last as string] = REDACTED
  }
  return out
}
