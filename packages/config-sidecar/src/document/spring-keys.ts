// Spring property keys: `a.b[0].c` split into segments as Spring Boot's binder reads them, and
// segments written back as one key (the dotted name a collision leaves beside a value).
import { SidecarError } from '../support/errors.js'
import { DOCUMENT_LIMITS } from '../support/limits.js'
import { showKey } from './path.js'

/** One step of a property key: an object key or a list index. */
export type KeySegment = string | number

/**
 * Splits a Spring property key into segments: `a.b[0].c` → ['a', 'b', 0, 'c']. As in Boot's
 * ConfigurationPropertyName: a bracket holding digits is a list index, any other bracket one map key
 * however many dots it holds (`map[x.y]` → 'x.y'), and empty elements (`a..b`) are skipped. Refuses
 * (ERR_DOCUMENT_INVALID) an unclosed `[`, an index above the limit and a key with no segment.
 */
export function parsePropertyKey(key: string, where: string): KeySegment[] {
  const segments: KeySegment[] = []
  let current = ''
  let i = 0
  const flush = (): void => {
    if (current !== '') segments.push(current)
    current = ''
  }
  while (i < key.length) {
    const char = key[i]!
    if (char === '.') {
      flush()
      i += 1
    } else if (char === '[') {
      flush()
      const end = key.indexOf(']', i)
      if (end === -1)
        throw new SidecarError(
          'ERR_DOCUMENT_INVALID',
          `${where}: property key ${showKey(key)} has an unclosed [`,
        )
      const inner = key.slice(i + 1, end)
      if (/^\d+$/.test(inner)) {
        const index = Number(inner)
        if (index > DOCUMENT_LIMITS.maxListIndex) {
          throw new SidecarError(
            'ERR_DOCUMENT_INVALID',
            `${where}: property key ${showKey(key)} has a list index above ${DOCUMENT_LIMITS.maxListIndex}`,
          )
        }
        segments.push(index)
      } else {
        segments.push(inner.replace(/^(["'])(.*)\1$/, '$2'))
      }
      i = end + 1
    } else {
      current += char
      i += 1
    }
  }
  flush()
  if (segments.length === 0)
    throw new SidecarError('ERR_DOCUMENT_INVALID', `${where}: a property key is empty`)
  return segments
}

/**
 * Segments written as one Spring key: `['b', 0, 'c']` → `b[0].c`. A name that would not read back
 * as one plain segment (it holds `.`, `[` or `]`, is empty or is all digits) is bracketed, as Boot
 * writes map keys: `['map', 'x.y']` → `map[x.y]`.
 */
export function formatPropertyKey(segments: readonly KeySegment[]): string {
  return segments
    .map((segment, index) => {
      if (typeof segment === 'number') return `[${segment}]`
      if (segment === '' || /[.[\]]/.test(segment) || /^\d+$/.test(segment)) return `[${segment}]`
      return index === 0 ? segment : `.${segment}`
    })
    .join('')
}
