// What is served: one accepted version of the config, with the bytes of each view prepared once.
import { createHmac, randomBytes } from 'node:crypto'
import { valueAtPath } from '../document/path.js'
import type { PreparedDocument } from '../document/prepare.js'
import { isRecord, newRecord } from '../document/record.js'
import type { ConfigRecord } from '../document/record.js'
import type { DocumentPath } from '../document/secrets.js'
import { isRefusal, renderFormatBytes } from '../formats/render.js'
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

/**
 * The most bytes of views kept beside the full view of one version (`?redact`, `?format=`, paths).
 * A small config keeps every view it is asked for; a large one (up to the 4 MiB document limit,
 * whose `.properties` or YAML may be several times larger) keeps the views asked for last within
 * this budget and renders the others again when asked: the same bytes, so the same ETag. Without
 * it a 4 MiB document held ten renderings of itself and the process ran out of heap.
 */
export const VIEW_CACHE_BYTES = 8 * 1024 * 1024

export function createServedConfig(
  input: Pick<PreparedDocument, 'document' | 'secretPaths' | 'version'>,
): ServedConfig {
  const full = represent(input.document)
  let redactedDocument: ConfigRecord | undefined
  const views = new ViewCache(VIEW_CACHE_BYTES)

  // Without secrets the redacted view is the document itself; with them, a copy of only the
  // objects and lists on the way to a secret (the rest is shared with the document).
  const redactedDoc = (): ConfigRecord => {
    if (input.secretPaths.length === 0) return input.document
    redactedDocument ??= redact(input.document, input.secretPaths)
    return redactedDocument
  }

  return {
    document: input.document,
    full,
    version: input.version,
    secretCount: input.secretPaths.length,
    redacted() {
      if (input.secretPaths.length === 0) return full
      return views.get('redacted', () => represent(redactedDoc()))
    },
    at(path, redactSecrets) {
      if (path.length === 0) return redactSecrets ? this.redacted() : full
      const key = `path:${redactSecrets ? 'r' : 'p'}/${path.map(encodeURIComponent).join('/')}`
      const found = views.get(key, () => {
        const value = valueAtPath(redactSecrets ? redactedDoc() : input.document, path)
        return value === undefined ? ABSENT : represent(value)
      })
      return found === ABSENT ? undefined : found
    },
    format(format, redactSecrets) {
      if (format === 'json') return redactSecrets ? this.redacted() : full
      return views.get(`format:${format}/${redactSecrets ? 'r' : 'p'}`, () => {
        const rendered = renderFormatBytes(redactSecrets ? redactedDoc() : input.document, format)
        return isRefusal(rendered)
          ? rendered
          : {
              ...representBytes(rendered.body),
              contentType: rendered.contentType,
              notes: rendered.notes,
            }
      })
    },
  }
}

/** A path with no value, kept like a view (it costs no bytes). */
const ABSENT: Representation = Object.freeze({ body: Buffer.alloc(0), etag: '' })

/**
 * Views by key, the last asked for kept while their bodies fit in `budget` bytes (a refusal or an
 * absent path costs nothing); a view larger than the budget is answered and not kept.
 */
class ViewCache {
  private readonly entries = new Map<string, FormatView>()
  private bytes = 0
  private paths = 0
  private readonly budget: number

  constructor(budget: number) {
    this.budget = budget
  }

  get<T extends FormatView>(key: string, make: () => T): T {
    const kept = this.entries.get(key)
    if (kept !== undefined) {
      // The most recently asked for goes last: the first entries are dropped first.
      this.entries.delete(key)
      this.entries.set(key, kept)
      return kept as T
    }
    const view = make()
    const size = sizeOf(view)
    if (size > this.budget) return view
    const isPath = key.startsWith('path:')
    // Paths asked for are many at most MAX_CACHED_PATHS at a time: past it they are all forgotten.
    if (isPath && this.paths >= MAX_CACHED_PATHS) this.drop((oldKey) => oldKey.startsWith('path:'))
    const room = this.budget - size
    this.drop(() => this.bytes > room)
    this.entries.set(key, view)
    this.bytes += size
    if (isPath) this.paths += 1
    return view
  }

  /** Drops entries, the least recently asked for first, while `which` says so. */
  private drop(which: (key: string) => boolean): void {
    for (const [key, view] of this.entries) {
      if (!which(key)) continue
      this.entries.delete(key)
      this.bytes -= sizeOf(view)
      if (key.startsWith('path:')) this.paths -= 1
    }
  }
}

const sizeOf = (view: FormatView): number => ('body' in view ? view.body.length : 0)

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

/**
 * The document with every secret replaced by {@link REDACTED}: a new object or list for each one on
 * the way to a secret, every other value shared with `document` (which is never changed).
 */
function redact(document: ConfigRecord, secretPaths: readonly DocumentPath[]): ConfigRecord {
  const copied = new Set<unknown>()
  const shallow = (value: unknown): unknown => {
    if (Array.isArray(value)) {
      const out = value.slice()
      copied.add(out)
      return out
    }
    if (isRecord(value)) {
      const out = newRecord()
      for (const key of Object.keys(value)) out[key] = value[key]
      copied.add(out)
      return out
    }
    return value
  }
  const out = shallow(document) as ConfigRecord
  for (const path of secretPaths) {
    let parent: unknown = out
    for (const segment of path.slice(0, -1)) {
      const child: unknown = Array.isArray(parent)
        ? parent[segment as number]
        : isRecord(parent)
          ? parent[segment as string]
          : undefined
      if (child !== null && typeof child === 'object' && !copied.has(child)) {
        const own = shallow(child)
        if (Array.isArray(parent)) parent[segment as number] = own
        else if (isRecord(parent)) parent[segment as string] = own
        parent = own
      } else {
        parent = child
      }
    }
    const last = path[path.length - 1]!
    if (Array.isArray(parent)) parent[last as number] = REDACTED
    else if (isRecord(parent)) parent[last as string] = REDACTED
  }
  return out
}
