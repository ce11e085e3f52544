import { isRecord, ownValue } from './record.js'

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
