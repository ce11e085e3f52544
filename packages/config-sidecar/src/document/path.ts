// Paths into a document: looking a value up by a path of keys, and showing a path in a message.
import { isRecord, ownValue } from './record.js'

/** A path of keys into a document: object keys and list indexes. */
export type DocumentPath = readonly (string | number)[]

/**
 * The value at a path of keys: object keys by name, list elements by decimal index. Undefined when
 * any step is absent. Inherited properties never match.
 */
export function valueAtPath(document: unknown, path: readonly string[]): unknown {
  let current = document
  for (const segment of path) {
    if (Array.isArray(current)) {
      if (!/^(0|[1-9]\d*)$/.test(segment)) return undefined
      current = current[Number(segment)]
    } else if (isRecord(current)) {
      current = ownValue(current, segment)
    } else {
      return undefined
    }
    if (current === undefined) return undefined
  }
  return current
}

/** `a.b[0].c`: how a key path is shown in messages. */
export function formatPath(path: DocumentPath): string {
  if (path.length === 0) return '(the document)'
  return path
    .map((segment, index) =>
      typeof segment === 'number' ? `[${segment}]` : index === 0 ? segment : `.${segment}`,
    )
    .join('')
}

/** The longest stretch of a key or path quoted in a message: keys are named, never at any length. */
const SHOWN_CHARS = 120

/** A key or path as a message shows it: JSON-quoted (no control character gets through), cut short. */
export function showKey(key: string): string {
  return JSON.stringify(
    key.length > SHOWN_CHARS ? `${key.slice(0, SHOWN_CHARS)}…(${key.length} chars)` : key,
  )
}
