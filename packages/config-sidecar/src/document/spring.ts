// A Spring Cloud Config environment merged into one nested document, property by property as a
// Spring client resolves them: the first source that has a key wins, a list comes whole from one
// source, the v2 `{value, origin}` shape is unwrapped and `spring.profiles` is dropped.
// docs/spring-compatibility.md lists each rule with the test that proves it.
import { SidecarError } from '../support/errors.js'
import { DOCUMENT_LIMITS } from '../support/limits.js'
import { isRecord, ownValue } from './record.js'
import type { ConfigRecord } from './record.js'
import { SizeBudget } from './size.js'
import { parsePropertyKey } from './spring-keys.js'
import type { KeySegment } from './spring-keys.js'
import { buildDocument, pathId } from './spring-tree.js'
import type { SpringProperty } from './spring-tree.js'

export { formatPropertyKey, parsePropertyKey } from './spring-keys.js'
export type { KeySegment } from './spring-keys.js'

/** True when a document is a Spring Cloud Config environment (it has `propertySources`). */
export function isSpringEnvironment(document: ConfigRecord): boolean {
  return Array.isArray(ownValue(document, 'propertySources'))
}

export interface MergedEnvironment {
  readonly document: ConfigRecord
  /** The environment's `version` when it is a non-empty string (prepare.ts checks it is usable). */
  readonly version: string | undefined
  /** Properties that could not be served, each naming its key (never its value). */
  readonly notices: readonly string[]
}

/**
 * Merges a Spring Cloud Config environment into one nested object. Property sources come highest
 * precedence first. Every property a Spring client resolves (`Environment.getProperty`) is served:
 * - the first source that has a key (with a value other than null) wins it;
 * - a list (`list[0]`, `list[1].name`) comes whole from the first source that has any element;
 * - keys are expanded as Boot's binder reads them: `a.b.c` nests, `list[0]` is a list, `map[x.y]`
 *   is the one map key `x.y`;
 * - where a value and a deeper key collide (`foo` and `foo.db`), the deeper key is served as one
 *   dotted name beside the value (`{"foo": …, "foo.db": …}`), as the Config Server's own
 *   `/{app}-{profile}.json` does, whichever source or order they come in;
 * - a `{"value", "origin"}` pair (the v2 shape) is unwrapped; `spring.profiles` is not served.
 * The expanded document is bounded by `maxBytes` (ERR_DOCUMENT_TOO_LARGE, naming the key).
 */
export function mergeSpringEnvironment(
  environment: ConfigRecord,
  where: string,
  options: { maxBytes?: number } = {},
): MergedEnvironment {
  const sources = ownValue(environment, 'propertySources') as unknown[]
  const properties = resolveProperties(sources, where)
  const budget = new SizeBudget(options.maxBytes ?? DOCUMENT_LIMITS.maxBytes, where)
  const { document, notices } = buildDocument(properties, budget, where)
  const version = ownValue(environment, 'version')
  return {
    document,
    version: typeof version === 'string' && version !== '' ? version : undefined,
    notices,
  }
}

interface Entry {
  readonly key: string
  readonly segments: readonly KeySegment[]
  readonly id: string
  /** The path of the list this key is an element of (its part before the first index), if any. */
  readonly list: string | undefined
}

/**
 * Every property a Spring client resolves, with the value it resolves to, in the order the Config
 * Server's JSON conversion writes them: keys in the order they first appear reading from the lowest
 * source up, then the lists.
 */
function resolveProperties(sources: readonly unknown[], where: string): SpringProperty[] {
  const entries = sources.map((propertySource, index) => readSource(propertySource, index, where))

  // Who wins, reading from the highest source down.
  const winners = new Map<string, SpringProperty>()
  /** The source that owns each list, as Boot's binder takes it: the first with any element. */
  const listOwner = new Map<string, number>()
  entries.forEach((source, index) => {
    for (const { entry, value } of source) {
      if (entry.list !== undefined) {
        const owner = listOwner.get(entry.list)
        if (owner === undefined) listOwner.set(entry.list, index)
        else if (owner !== index) continue // the list came whole from a higher source
      }
      const existing = winners.get(entry.id)
      // A null hides nothing: Spring's resolver passes over it to the next source.
      if (existing === undefined || (existing.value === null && value !== null))
        winners.set(entry.id, { key: entry.key, segments: entry.segments, value, source: index })
    }
  })

  // Where each goes, reading from the lowest source up.
  const rank = new Map<string, number>()
  const listRank = new Map<string, number>()
  for (let index = entries.length - 1; index >= 0; index -= 1)
    for (const { entry } of entries[index]!) {
      if (entry.list === undefined) {
        if (!rank.has(entry.id)) rank.set(entry.id, rank.size)
      } else if (!listRank.has(entry.list)) listRank.set(entry.list, listRank.size)
    }
  const placed = [...winners].map(([id, property]) => {
    const list = listPath(property.segments)
    return { property, at: list === undefined ? rank.get(id)! : rank.size + listRank.get(list)! }
  })
  // Array.prototype.sort is stable: a list's elements keep their owner's order.
  return placed.sort((a, b) => a.at - b.at).map(({ property }) => property)
}

/** One property source's keys, split and checked, with their values (v2 shape unwrapped). */
function readSource(
  propertySource: unknown,
  index: number,
  where: string,
): { entry: Entry; value: unknown }[] {
  const source = isRecord(propertySource) ? ownValue(propertySource, 'source') : undefined
  if (!isRecord(source)) {
    throw new SidecarError(
      'ERR_DOCUMENT_INVALID',
      `${where}: propertySources[${index}] has no "source" object`,
    )
  }
  const out: { entry: Entry; value: unknown }[] = []
  for (const key of Object.keys(source)) {
    const segments = parsePropertyKey(key, `${where}: propertySources[${index}]`)
    if (segments.length > DOCUMENT_LIMITS.maxDepth) {
      throw new SidecarError(
        'ERR_DOCUMENT_INVALID',
        `${where}: propertySources[${index}]: a property key nests deeper than ${DOCUMENT_LIMITS.maxDepth} levels`,
      )
    }
    if (isProfileGate(segments)) continue
    const entry = { key, segments, id: pathId(segments), list: listPath(segments) }
    out.push({ entry, value: unwrapOrigin(source[key]) })
  }
  return out
}

/** The path of the list a key is an element of: its segments before the first index. */
function listPath(segments: readonly KeySegment[]): string | undefined {
  const at = segments.findIndex((segment) => typeof segment === 'number')
  return at === -1 ? undefined : pathId(segments.slice(0, at))
}

/** `spring.profiles` (and its list form) gates a YAML document; Spring does not serve it. */
function isProfileGate(segments: readonly KeySegment[]): boolean {
  return (
    segments[0] === 'spring' &&
    segments[1] === 'profiles' &&
    (segments.length === 2 || (segments.length === 3 && typeof segments[2] === 'number'))
  )
}

/** The v2 shape (`Accept: application/vnd.spring-cloud.config-server.v2+json`), unwrapped. */
function unwrapOrigin(value: unknown): unknown {
  if (
    isRecord(value) &&
    Object.keys(value).length === 2 &&
    Object.hasOwn(value, 'value') &&
    Object.hasOwn(value, 'origin')
  )
    return value['value']
  return value
}
