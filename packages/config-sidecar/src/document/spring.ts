import { SidecarError } from '../support/errors.js'
import { DOCUMENT_LIMITS } from '../support/limits.js'
import { isRecord, newRecord, ownValue } from './record.js'
import type { ConfigRecord } from './record.js'

/** One step of a property key: an object key or a list index. */
export type KeySegment = string | number

/** True when a document is a Spring Cloud Config environment (it has `propertySources`). */
export function isSpringEnvironment(document: ConfigRecord): boolean {
  return Array.isArray(ownValue(document, 'propertySources'))
}

/**
 * Merges a Spring Cloud Config environment into one nested object. Property sources come highest
 * precedence first, so the first source to set a path wins. Keys are expanded: `a.b.c` becomes
 * nested objects, `list[0]` a list, `map[x.y]` the map key `x.y`. As in Spring Boot, a list comes
 * whole from one source: lower sources do not add elements to it. Where two keys conflict (`a` and
 * `a.b`), the earlier one wins.
 */
export function mergeSpringEnvironment(
  environment: ConfigRecord,
  where: string,
): { document: ConfigRecord; version: string | undefined } {
  const sources = ownValue(environment, 'propertySources') as unknown[]
  const document = newRecord()
  const listOwner = new WeakMap<unknown[], number>()

  sources.forEach((propertySource, index) => {
    const source = isRecord(propertySource) ? ownValue(propertySource, 'source') : undefined
    if (!isRecord(source)) {
      throw new SidecarError(
        'ERR_DOCUMENT_INVALID',
        `${where}: propertySources[${index}] has no "source" object`,
      )
    }
    for (const key of Object.keys(source)) {
      setIfAbsent(document, parsePropertyKey(key, where), source[key], index, listOwner, where)
    }
  })
  fillListHoles(document)

  const version = ownValue(environment, 'version')
  return { document, version: typeof version === 'string' && version !== '' ? version : undefined }
}

/** Splits a Spring property key into segments: `a.b[0].c` → ['a', 'b', 0, 'c']. */
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
          `${where}: property key "${key}" has an unclosed [`,
        )
      const inner = key.slice(i + 1, end)
      if (/^\d+$/.test(inner)) {
        const index = Number(inner)
        if (index > DOCUMENT_LIMITS.maxListIndex) {
          throw new SidecarError(
            'ERR_DOCUMENT_INVALID',
            `${where}: property key "${key}" has a list index above ${DOCUMENT_LIMITS.maxListIndex}`,
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

type Container = ConfigRecord | unknown[]

function setIfAbsent(
  root: ConfigRecord,
  segments: KeySegment[],
  value: unknown,
  sourceIndex: number,
  listOwner: WeakMap<unknown[], number>,
  where: string,
): void {
  let container: Container = root
  for (let depth = 0; depth < segments.length; depth += 1) {
    const segment = segments[depth]!
    if (depth + 1 > DOCUMENT_LIMITS.maxDepth) {
      throw new SidecarError(
        'ERR_DOCUMENT_INVALID',
        `${where}: a property key nests deeper than ${DOCUMENT_LIMITS.maxDepth} levels`,
      )
    }
    if (Array.isArray(container)) {
      if (typeof segment !== 'number') return // `list.name` after `list[0]`: conflicts, earlier wins
      if (listOwner.get(container) !== sourceIndex) return // the list came whole from a higher source
    } else if (typeof segment === 'number') {
      return // `map[0]` where `map.key` came first: conflicts, earlier wins
    }
    const last = depth === segments.length - 1
    const existing = readChild(container, segment)
    if (last) {
      if (existing === undefined) writeChild(container, segment, value)
      return
    }
    if (existing === undefined) {
      const next = segments[depth + 1]!
      const child: Container = typeof next === 'number' ? [] : newRecord()
      if (Array.isArray(child)) listOwner.set(child, sourceIndex)
      writeChild(container, segment, child)
      container = child
    } else if (Array.isArray(existing) || isRecord(existing)) {
      container = existing
    } else {
      return // a value is already set where this key needs an object
    }
  }
}

function readChild(container: Container, segment: KeySegment): unknown {
  if (Array.isArray(container)) return container[segment as number]
  return ownValue(container, segment as string)
}

function writeChild(container: Container, segment: KeySegment, value: unknown): void {
  if (Array.isArray(container)) container[segment as number] = value
  else container[segment as string] = value
}

// `list[2]` without `list[1]` leaves a hole; JSON has none, so holes become null.
function fillListHoles(value: unknown): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      if (!(i in value)) value[i] = null
      else fillListHoles(value[i])
    }
  } else if (isRecord(value)) {
    for (const key of Object.keys(value)) fillListHoles(value[key])
  }
}
