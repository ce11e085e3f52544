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
 * Calls `visit` for every leaf of `document` with its path, in the order `JSON.stringify` writes
 * them, without building a list: a renderer of a large document holds one leaf at a time. Values
 * are normalised as the served JSON has them: a number that is not finite is null, an undefined
 * property is left out and an undefined list item is null. `segments` is the walk's own array,
 * valid during the call only: copy it to keep it. A visit returns `true` to go on, `false` to stop.
 */
export function forEachLeaf(
  document: unknown,
  visit: (path: string, segments: readonly Segment[], value: FlatValue) => boolean,
): void {
  const segments: Segment[] = []
  let stopped = false
  const at = (path: string, value: FlatValue): void => {
    if (!visit(path, segments, value)) stopped = true
  }
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      if (value.length === 0) at(path, [])
      value.forEach((item: unknown, index) => {
        if (stopped) return
        segments.push(index)
        walk(item === undefined ? null : item, `${path}[${index}]`)
        segments.pop()
      })
      return
    }
    if (isObject(value)) {
      let empty = true
      for (const key of Object.keys(value)) {
        const item = value[key]
        if (item === undefined) continue
        empty = false
        if (stopped) return
        segments.push(key)
        walk(item, segments.length === 1 ? key : `${path}.${key}`)
        segments.pop()
      }
      if (empty) at(path, {})
      return
    }
    at(path, leaf(value))
  }
  walk(document, '')
}

/**
 * Every leaf of `document` with its path, in the order `JSON.stringify` writes them (see
 * {@link forEachLeaf}, which walks them without keeping them).
 */
export function flatEntries(document: unknown): FlatEntry[] {
  const out: FlatEntry[] = []
  forEachLeaf(document, (path, segments, value) => {
    out.push({ path, segments: [...segments], value })
    return true
  })
  return out
}

/**
 * The refusal for the first two leaves of `document` with the same path, or undefined when every
 * path is unique. Only a key holding `.` or `[` can spell a path another key spells (without them
 * every `.` and `[` of a path is a separator, so a path reads back one way): a document without one
 * is answered in a walk of its keys, keeping nothing.
 */
export function duplicatePaths(document: unknown): RenderRefusal | undefined {
  if (!hasAmbiguousKey(document)) return undefined
  const seen = new Set<string>()
  let repeated: { path: string; segments: Segment[] } | undefined
  forEachLeaf(document, (path, segments) => {
    if (!seen.has(path)) {
      seen.add(path)
      return true
    }
    repeated = { path, segments: [...segments] }
    return false
  })
  if (repeated === undefined) return undefined
  seen.clear()
  // The first leaf with that path, found again rather than kept for every path.
  const again = repeated.path
  let first: Segment[] = []
  forEachLeaf(document, (path, segments) => {
    if (path !== again) return true
    first = [...segments]
    return false
  })
  return {
    refused: `the keys ${describeSegments(first)} and ${describeSegments(repeated.segments)} are both ${repeated.path} in the flat view`,
  }
}

/** True when a key of `value`, at any depth, holds `.` or `[`. */
function hasAmbiguousKey(value: unknown): boolean {
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const current = stack.pop()
    if (Array.isArray(current)) {
      for (const item of current) if (typeof item === 'object' && item !== null) stack.push(item)
    } else if (isObject(current)) {
      for (const key of Object.keys(current)) {
        const item = current[key]
        if (item === undefined) continue
        if (key.includes('.') || key.includes('[')) return true
        if (typeof item === 'object' && item !== null) stack.push(item)
      }
    }
  }
  return false
}

/** A sink for rendered text: a renderer pushes its pieces in order. */
export interface TextSink {
  push(text: string): void
}

/** The `flat` format: one JSON object of `a.b[0].c` keys, in document order. */
export function renderFlat(document: unknown): string | RenderRefusal {
  const parts: string[] = []
  const refusal = writeFlat(document, { push: (text) => parts.push(text) })
  return refusal ?? parts.join('')
}

/** {@link renderFlat} written piece by piece to `sink`; a refusal writes nothing. */
export function writeFlat(document: unknown, sink: TextSink): RenderRefusal | undefined {
  const refusal = duplicatePaths(document)
  if (refusal !== undefined) return refusal
  let first = true
  sink.push('{')
  forEachLeaf(document, (path, _segments, value) => {
    sink.push(`${first ? '' : ','}${JSON.stringify(path)}:${JSON.stringify(value)}`)
    first = false
    return true
  })
  sink.push('}')
  return undefined
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
