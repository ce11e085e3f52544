// Resolved Spring properties built into one nested document. Where a key cannot nest (a value, or a
// container of the other kind, holds its place), the rest of the key is served as one dotted name in
// the nearest object: `{"springframework": "WARN", "springframework.web": "DEBUG"}`.
import { newRecord, ownValue } from './record.js'
import type { ConfigRecord } from './record.js'
import { showKey } from './path.js'
import { scalarSize } from './size.js'
import type { SizeBudget } from './size.js'
import { formatPropertyKey } from './spring-keys.js'
import type { KeySegment } from './spring-keys.js'

/** One property a Spring client resolves: its key as written, split, its value and source. */
export interface SpringProperty {
  readonly key: string
  readonly segments: readonly KeySegment[]
  readonly value: unknown
  readonly source: number
}

type Container = ConfigRecord | unknown[]

/** Properties named one by one in notices; the rest are counted. */
const MAX_NOTICES = 20

/** A key for a path of segments (0 and '0' differ). */
export function pathId(segments: readonly KeySegment[]): string {
  return JSON.stringify(segments)
}

/**
 * Builds the nested document. Properties with a value are placed first, in order; a value always
 * keeps its own place, so a deeper key that meets it (whichever came first) becomes a dotted name
 * beside it. Null values come last and only fill places still free: Spring resolves nothing for
 * them. Every write is charged to `budget` before its memory is taken, list holes included.
 */
export function buildDocument(
  properties: readonly SpringProperty[],
  budget: SizeBudget,
  where: string,
): { document: ConfigRecord; notices: string[] } {
  const root = newRecord()
  const built = new WeakSet<object>([root])
  const lists: unknown[][] = []
  const notices: string[] = []
  const valued = new Set(
    properties.filter((property) => property.value !== null).map((p) => pathId(p.segments)),
  )

  const place = (property: SpringProperty, weak: boolean): void => {
    const { segments } = property
    const at = (): string => `${showKey(property.key)} of propertySources[${property.source}]`
    const write = (container: Container, segment: KeySegment, value: unknown): void => {
      if (Array.isArray(container)) {
        const index = segment as number
        if (index >= container.length) budget.charge((index + 1 - container.length) * 5, at)
        budget.charge(sizeOf(value), at)
        container[index] = value
      } else {
        budget.charge(scalarSize(String(segment)) + 2 + sizeOf(value), at)
        container[String(segment)] = value
      }
    }
    let container: Container = root
    let anchor: ConfigRecord = root
    let anchorDepth = 0
    let prefix = ''
    for (let depth = 0; depth < segments.length; depth += 1) {
      const segment = segments[depth]!
      if (!Array.isArray(container)) {
        anchor = container
        anchorDepth = depth
      }
      prefix += (depth === 0 ? '' : ',') + JSON.stringify(segment)
      const fits = Array.isArray(container) === (typeof segment === 'number')
      const existing = fits ? childOf(container, segment) : undefined
      if (fits && depth === segments.length - 1) {
        if (existing === undefined) write(container, segment, property.value)
        else if (!weak) shadowed(property, segments.slice(anchorDepth))
        return
      }
      if (fits && !valued.has(`[${prefix}]`)) {
        const wantList = typeof segments[depth + 1] === 'number'
        if (existing === undefined) {
          const child: Container = wantList ? [] : newRecord()
          write(container, segment, child)
          built.add(child)
          if (Array.isArray(child)) lists.push(child)
          container = child
          continue
        }
        if (isBuilt(existing) && Array.isArray(existing) === wantList) {
          container = existing as Container
          continue
        }
      }
      // A value holds this place (or will), or a container of the other kind does.
      if (weak) return
      const name = formatPropertyKey(segments.slice(anchorDepth))
      if (ownValue(anchor, name) === undefined) write(anchor, name, property.value)
      else shadowed(property, [name])
      return
    }
  }

  const isBuilt = (value: unknown): boolean =>
    typeof value === 'object' && value !== null && built.has(value)

  let unnamed = 0
  const shadowed = (property: SpringProperty, rest: readonly KeySegment[]): void => {
    if (notices.length >= MAX_NOTICES) {
      unnamed += 1
      return
    }
    notices.push(
      `${where}: property ${showKey(property.key)} of propertySources[${property.source}] is not ` +
        `served: its place (${showKey(formatPropertyKey(rest))}) holds another property`,
    )
  }

  for (const property of properties) if (property.value !== null) place(property, false)
  for (const property of properties) if (property.value === null) place(property, true)
  // `list[2]` without `list[1]` leaves a hole; JSON has none, so holes are null (already charged).
  for (const list of lists)
    for (let i = 0; i < list.length; i += 1) if (!(i in list)) list[i] = null
  if (unnamed > 0)
    notices.push(`${where}: ${unnamed} more properties are not served for the same reason`)
  return { document: root, notices }
}

function childOf(container: Container, segment: KeySegment): unknown {
  if (Array.isArray(container)) return container[segment as number]
  return ownValue(container, segment as string)
}

/** The JSON size a value adds: a new container its brackets, anything else its JSON. */
function sizeOf(value: unknown): number {
  if (typeof value === 'object' && value !== null) {
    if (Array.isArray(value) && value.length === 0) return 2
    if (!Array.isArray(value) && Object.keys(value).length === 0) return 2
    return Buffer.byteLength(JSON.stringify(value))
  }
  return scalarSize(value)
}
