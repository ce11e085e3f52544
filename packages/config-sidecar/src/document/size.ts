// How large a document may grow once expanded (Spring keys made nested, list holes filled, YAML
// aliases copied), and the bounded measures that enforce it: a budget charged while a document is
// built, and the exact size of its JSON, both stopping at the first key past the limit.
import { SidecarError } from '../support/errors.js'
import { DOCUMENT_LIMITS } from '../support/limits.js'
import { isRecord } from './record.js'
import { formatPath, showKey } from './path.js'

/** A document may expand to this many times the bytes fetched for it… */
export const EXPANSION_FACTOR = 4
/** …plus this much, so that a tiny document (`a:` is `{"a":null}`) is never refused. */
export const EXPANSION_SLACK = 1024

/** The most bytes the served JSON of a document fetched as `fetchedBytes` may take. */
export function expansionLimit(fetchedBytes: number): number {
  return Math.min(EXPANSION_FACTOR * fetchedBytes + EXPANSION_SLACK, DOCUMENT_LIMITS.maxBytes)
}

/** Text JSON writes as it is: printable ASCII without a quote or a backslash. */
const VERBATIM = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/

/** Bytes of one scalar as JSON (a string with its quotes and escapes). */
export function scalarSize(value: unknown): number {
  if (typeof value === 'string')
    return VERBATIM.test(value) ? value.length + 2 : Buffer.byteLength(JSON.stringify(value))
  if (typeof value === 'number') return Number.isFinite(value) ? String(value).length : 4
  if (typeof value === 'boolean') return value ? 4 : 5
  if (value === null || value === undefined) return 4
  const text = JSON.stringify(value) as string | undefined
  return text === undefined ? 4 : Buffer.byteLength(text)
}

/** The error for a document that expands past its limit, naming the key where it did. */
export function tooLarge(where: string, limit: number, at: string): SidecarError {
  return new SidecarError(
    'ERR_DOCUMENT_TOO_LARGE',
    `${where} expands to more than ${limit} bytes (at most ${EXPANSION_FACTOR}× the bytes fetched, ` +
      `and ${DOCUMENT_LIMITS.maxBytes} in all); the limit is passed at ${at}`,
  )
}

/**
 * A running upper bound of the JSON a document being built will take. `charge` throws
 * ERR_DOCUMENT_TOO_LARGE naming `at` as soon as the bound passes the limit, before the memory for
 * it is taken.
 */
export class SizeBudget {
  private used = 2 // the root's braces
  readonly limit: number
  private readonly where: string

  constructor(limit: number, where: string) {
    this.limit = limit
    this.where = where
  }

  charge(bytes: number, at: () => string): void {
    this.used += bytes
    if (this.used > this.limit) throw tooLarge(this.where, this.limit, at())
  }

  get spent(): number {
    return this.used
  }
}

/**
 * The exact byte length of `JSON.stringify(value)`, stopped at the first key where it passes `limit`
 * (ERR_DOCUMENT_TOO_LARGE naming that key). Shared references (YAML aliases) count every time they
 * appear, as the JSON would hold them. Recursion follows the document's depth, which parsing bounds.
 */
export function measureJson(value: unknown, limit: number, where: string): number {
  const path: (string | number)[] = []
  let total = 0
  const add = (bytes: number): void => {
    total += bytes
    if (total > limit) throw tooLarge(where, limit, showKey(formatPath(path)))
  }
  const walk = (current: unknown): void => {
    if (Array.isArray(current)) {
      add(current.length === 0 ? 2 : current.length + 1) // brackets and commas
      for (let i = 0; i < current.length; i += 1) {
        path.push(i)
        walk(current[i] ?? null)
        path.pop()
      }
    } else if (isRecord(current)) {
      let entries = 0
      for (const key of Object.keys(current)) {
        const item = current[key]
        if (item === undefined) continue
        entries += 1
        path.push(key)
        add(scalarSize(key) + 1)
        walk(item)
        path.pop()
      }
      add(entries === 0 ? 2 : entries + 1)
    } else {
      add(scalarSize(current))
    }
  }
  walk(value)
  return total
}
