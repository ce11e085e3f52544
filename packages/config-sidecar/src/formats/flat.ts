// The flat view of a document: every leaf under its Spring-style path `a.b[0].c`, in document order.
// The `flat` format, `.properties` and `.env` are built on it, and so is every list of key paths.

/** One segment of a key path: an object key, or a list index. */
export type Segment = string | number

/** A value at the end of a path: a scalar, null, or an empty object or list (which has no leaves). */
export type FlatValue = string | number | boolean | null | Record<string, never> | readonly never[]

export interface FlatEntry {
  /** `a.b[0].c`: keys joined by dots, list indexes in brackets (keys are written as they are). */
  readonly path: string
  readonly segments: readonly Segment[]
  readonly value: FlatValue
}

/** A render that the format cannot hold; `message` names key paths, never values. */
export interface RenderRefusal {
  readonly refused: string
}

/** `a.b[0].c` for a list of segments (a key at the top is written without a leading dot). */
export function flatPath(segments: readonly Segment[]): string {
  let path = ''
  segments.forEach((segment, index) => {
    if (typeof segment === 'number') path += `[${segment}]`
    else path += index === 0 ? segment : `.${segment}`
  })
  return path
}

/**
 * Every leaf of `document` with its path, in the order `JSON.stringify` writes them. Values are
 * normalised as the served JSON has them: a number that is not finite is null, an undefined
 * property is left out and an undefined list item is null.
 */
export function flatEntries(document: unknown): FlatEntry[] {
  const out: FlatEntry[] = []
  const segments: Segment[] = []
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      if (value.length === 0) out.push({ path, segments: [...segments], value: [] })
      value.forEach((item, index) => {
        segments.push(index)
        walk(item === undefined ? null : item, `${path}[${index}]`)
        segments.pop()
      })
      return
    }
    if (isObject(value)) {
      const keys = Object.keys(value).filter((key) => value[key] !== undefined)
      if (keys.length === 0) out.push({ path, segments: [...segments], value: {} })
      for (const key of keys) {
        segments.push(key)
        walk(value[key], segments.length === 1 ? key : `${path}.${key}`)
        segments.pop()
      }
      return
    }
    out.push({ path, segments: [...segments], value: leaf(value) })
  }
  walk(document, '')
  return out
}

/**
 * The entries of `document`, or a refusal when two of them have the same path (a key holding a dot
 * or a bracket beside the nested keys it would spell, as in `{"a.b": 1, "a": {"b": 2}}`).
 */
export function uniqueFlatEntries(document: unknown): FlatEntry[] | RenderRefusal {
  const entries = flatEntries(document)
  const seen = new Map<string, FlatEntry>()
  for (const entry of entries) {
    const first = seen.get(entry.path)
    if (first !== undefined) {
      return {
        refused: `the keys ${describeSegments(first.segments)} and ${describeSegments(entry.segments)} are both ${entry.path} in the flat view`,
      }
    }
    seen.set(entry.path, entry)
  }
  return entries
}

/** The `flat` format: one JSON object of `a.b[0].c` keys, in document order. */
export function renderFlat(document: unknown): string | RenderRefusal {
  const entries = uniqueFlatEntries(document)
  if (!Array.isArray(entries)) return entries
  return `{${entries.map((entry) => `${JSON.stringify(entry.path)}:${JSON.stringify(entry.value)}`).join(',')}}`
}

/**
 * A leaf as text, for formats that hold text only (`.properties`, `.env`): strings as they are,
 * numbers as JSON writes them, `true`/`false`, and the empty string for null and for an empty
 * object or list (so the key is still there).
 */
export function leafText(value: FlatValue): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value)
  return ''
}

/** True for a refusal rather than a rendered text or list. */
export function isRefusal(value: unknown): value is RenderRefusal {
  return typeof value === 'object' && value !== null && 'refused' in value
}

/** `["a","b",0]`: segments shown unambiguously when two paths read the same. */
function describeSegments(segments: readonly Segment[]): string {
  return JSON.stringify(segments)
}

function leaf(value: unknown): FlatValue {
  if (typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  return null
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
