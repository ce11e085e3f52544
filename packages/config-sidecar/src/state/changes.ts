// What changed between two accepted documents: their `flat` paths (formats/flat.ts, the one
// definition of `a.b[0].c`) in three sorted lists. The documents compared are the decrypted ones,
// in memory: a secret counts by its plaintext (encrypted again to the same value: no change), and
// only paths leave this module, never a value. One walk of the two documents: linear in their size.
import { flatEntries, flatPath } from '../formats/flat.js'
import type { FlatValue, Segment } from '../formats/flat.js'
import type { ServedConfig } from './served-config.js'

/** The paths a change named: each list sorted, no path in two lists. */
export interface KeyChanges {
  readonly added: readonly string[]
  readonly removed: readonly string[]
  readonly changed: readonly string[]
}

/** The lists cut to a total of `limit` paths (added first, then removed, then changed). */
export interface LimitedChanges extends KeyChanges {
  /** How many paths were left out. */
  readonly more: number
}

/** Logs, /status and the on-change environment list at most this many paths. */
export const LISTED_PATHS = 100

export const NO_CHANGES: KeyChanges = Object.freeze({ added: [], removed: [], changed: [] })

/**
 * The paths of `to` that `from` does not have (`added`), those it loses (`removed`) and those whose
 * value differs (`changed`), each sorted. Pass decrypted documents: values are compared, not shown.
 *
 * The two documents are walked side by side, so an equal value costs a comparison and no path is
 * built for it; paths are written (`flatPath`, `flatEntries`) only where the documents differ. A key
 * with `.` or `[` may spell the same path as other keys of its object (`a.b` beside `a: {b}`): the
 * keys it may meet (those up to the same first `.` or `[`) are compared by path instead, each path
 * with all its leaves.
 */
export function diffDocuments(from: unknown, to: unknown): KeyChanges {
  const out: Lists = { added: [], removed: [], changed: [] }
  walkTogether(from, to, [], out)
  return {
    added: sortedSet(out.added),
    removed: sortedSet(out.removed),
    changed: out.changed.sort(),
  }
}

interface Lists {
  readonly added: string[]
  readonly removed: string[]
  readonly changed: string[]
}

/** Sorted, each path once (a subtree on one side only may spell a path twice). */
const sortedSet = (paths: string[]): string[] =>
  (paths.length < 2 ? paths : [...new Set(paths)]).sort()

/** A key that may spell the same path as other keys. */
const ambiguous = (key: string): boolean => key.includes('.') || key.includes('[')

/** What a key's paths start with: only keys with the same start can spell the same path. */
const startOf = (key: string): string => key.split(/[.[]/, 1)[0]!

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** The keys `flatEntries` walks: those whose value is not undefined. */
const definedKeys = (value: Record<string, unknown>): string[] =>
  Object.keys(value).filter((key) => value[key] !== undefined)

/** Adds the differences of `a` and `b`, both at `segments`, to `out`. */
function walkTogether(a: unknown, b: unknown, segments: Segment[], out: Lists): void {
  // Most values are equal scalars: nothing to do.
  if (a === b && (typeof a !== 'object' || a === null)) return
  if (isPlainObject(a) && isPlainObject(b)) {
    const keysA = definedKeys(a)
    const keysB = definedKeys(b)
    if (keysA.length > 0 && keysB.length > 0) {
      // Keys that may spell one path are compared by path, all together; the others one by one.
      const starts = new Set([...keysA, ...keysB].filter(ambiguous).map(startOf))
      const byPath = (key: string): boolean => starts.size > 0 && starts.has(startOf(key))
      if (starts.size > 0) {
        const pick = (value: Record<string, unknown>, keys: string[]): Leaf[] =>
          keys.filter(byPath).map((key) => ({ segments: [...segments, key], value: value[key] }))
        diffByPaths(pick(a, keysA), pick(b, keysB), out)
      }
      for (const key of keysB) {
        if (byPath(key)) continue
        segments.push(key)
        if (Object.hasOwn(a, key) && a[key] !== undefined)
          walkTogether(a[key], b[key], segments, out)
        else listLeaves(b[key], segments, out.added)
        segments.pop()
      }
      for (const key of keysA) {
        if (byPath(key) || (Object.hasOwn(b, key) && b[key] !== undefined)) continue
        segments.push(key)
        listLeaves(a[key], segments, out.removed)
        segments.pop()
      }
      return
    }
  } else if (Array.isArray(a) && Array.isArray(b) && a.length > 0 && b.length > 0) {
    for (let index = 0; index < Math.max(a.length, b.length); index += 1) {
      segments.push(index)
      if (index >= b.length) listLeaves(a[index], segments, out.removed)
      else if (index >= a.length) listLeaves(b[index], segments, out.added)
      else walkTogether(a[index] ?? null, b[index] ?? null, segments, out)
      segments.pop()
    }
    return
  }
  // Two leaves, or values of two shapes.
  diffByPaths([{ segments, value: a }], [{ segments, value: b }], out)
}

/** The path of every leaf of `value` (at `segments`), added to `list`. */
function listLeaves(value: unknown, segments: readonly Segment[], list: string[]): void {
  for (const entry of flatEntries(value === undefined ? null : value))
    list.push(
      entry.segments.length === 0 ? flatPath(segments) : flatPath([...segments, ...entry.segments]),
    )
}

/** Two or more leaves at one path (a key holding a dot beside the nested keys it spells). */
class Repeated {
  readonly values: FlatValue[]
  constructor(values: FlatValue[]) {
    this.values = values
  }
}

/** A value and where it is. */
interface Leaf {
  readonly segments: readonly Segment[]
  readonly value: unknown
}

/** The leaves of the values by path, each path with all its leaves. */
function leavesOf(values: readonly Leaf[]): Map<string, FlatValue | Repeated> {
  const leaves = new Map<string, FlatValue | Repeated>()
  for (const { segments, value } of values) {
    for (const entry of flatEntries(value)) {
      const path = segments.length === 0 ? entry.path : flatPath([...segments, ...entry.segments])
      const had = leaves.get(path)
      if (had === undefined) leaves.set(path, entry.value)
      else if (had instanceof Repeated) had.values.push(entry.value)
      else leaves.set(path, new Repeated([had, entry.value]))
    }
  }
  return leaves
}

function sameLeaf(a: FlatValue, b: FlatValue): boolean {
  if (a === b) return true
  // What is left that can be equal: two empty objects, or two empty lists.
  return (
    typeof a === 'object' &&
    typeof b === 'object' &&
    a !== null &&
    b !== null &&
    Array.isArray(a) === Array.isArray(b)
  )
}

function same(a: FlatValue | Repeated, b: FlatValue | Repeated): boolean {
  if (a instanceof Repeated || b instanceof Repeated) {
    return (
      a instanceof Repeated &&
      b instanceof Repeated &&
      a.values.length === b.values.length &&
      a.values.every((value, index) => sameLeaf(value, b.values[index]!))
    )
  }
  return sameLeaf(a, b)
}

/** The differences of the values `a` and `b` over a map of each one's leaves by path. */
function diffByPaths(a: readonly Leaf[], b: readonly Leaf[], out: Lists): void {
  const before = leavesOf(a)
  const after = leavesOf(b)
  for (const [path, value] of after) {
    const old = before.get(path)
    if (old === undefined) out.added.push(path)
    else if (!same(old, value)) out.changed.push(path)
  }
  for (const path of before.keys()) if (!after.has(path)) out.removed.push(path)
}

const between = new WeakMap<ServedConfig, WeakMap<ServedConfig, KeyChanges>>()

/**
 * {@link diffDocuments} of two accepted configs, computed once per pair: the log, /status, every
 * event stream, `POST /refresh` and the on-change command all ask for the same pair.
 */
export function changesBetween(from: ServedConfig, to: ServedConfig): KeyChanges {
  // The same bytes hold the same leaves (the full view is the decrypted document as JSON).
  if (from === to || from.full.etag === to.full.etag) return NO_CHANGES
  let known = between.get(from)
  if (known === undefined) between.set(from, (known = new WeakMap()))
  let changes = known.get(to)
  if (changes === undefined) known.set(to, (changes = diffDocuments(from.document, to.document)))
  return changes
}

/** Every path the change names, sorted (the three lists are disjoint). */
export function changedKeys(changes: KeyChanges): string[] {
  return [...changes.added, ...changes.removed, ...changes.changed].sort()
}

/** True when the change names no path. */
export function isEmpty(changes: KeyChanges): boolean {
  return changes.added.length + changes.removed.length + changes.changed.length === 0
}

/** The lists cut to `limit` paths in all, and how many more there are. */
export function limitChanges(changes: KeyChanges, limit = LISTED_PATHS): LimitedChanges {
  let room = limit
  const take = (paths: readonly string[]): readonly string[] => {
    const kept = paths.length <= room ? paths : paths.slice(0, room)
    room -= kept.length
    return kept
  }
  const added = take(changes.added)
  const removed = take(changes.removed)
  const changed = take(changes.changed)
  const total = changes.added.length + changes.removed.length + changes.changed.length
  return { added, removed, changed, more: total - (limit - room) }
}

/**
 * The part of a change under the value at `path` (a `/config/<a>/<b>` stream): the paths at or
 * below it, still written from the top. `path` is read against `document` (a list index there is
 * a number in the flat path); the top (no segments) keeps everything.
 */
export function changesUnder(
  changes: KeyChanges,
  document: unknown,
  path: readonly string[],
): KeyChanges {
  if (path.length === 0) return changes
  const segments: Segment[] = []
  let node: unknown = document
  for (const segment of path) {
    const index = Number(segment)
    const inList = Array.isArray(node) && Number.isInteger(index) && index >= 0
    segments.push(inList ? index : segment)
    node =
      typeof node === 'object' && node !== null
        ? (node as Record<string, unknown>)[inList ? index : segment]
        : undefined
  }
  const prefix = flatPath(segments)
  const under = (key: string): boolean =>
    key === prefix || key.startsWith(`${prefix}.`) || key.startsWith(`${prefix}[`)
  return {
    added: changes.added.filter(under),
    removed: changes.removed.filter(under),
    changed: changes.changed.filter(under),
  }
}
