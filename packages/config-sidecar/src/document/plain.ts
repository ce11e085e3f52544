// A parser's output made plain JSON data, in one bounded walk: prototype-free objects, no nesting
// past the limit, no expansion past the size budget (YAML aliases are copied here), and the YAML 1.1
// types turned into what JSON can hold. A `!!set` or `!!omap` holding a secret is refused.
import { SidecarError } from '../support/errors.js'
import { DOCUMENT_LIMITS } from '../support/limits.js'
import { SECRET_PREFIX } from './crypto/index.js'
import { formatPath, showKey } from './path.js'
import { isRecord, newRecord } from './record.js'
import type { ConfigRecord } from './record.js'
import { SizeBudget } from './size.js'

/**
 * A deep copy of `value` made of plain JSON data (with `inPlace`, for a JSON.parse result only, the
 * same objects made so):
 * - objects without a prototype, lists, strings, finite numbers, booleans and null;
 * - a `!!set` (a JS Set) becomes a list of its members and a `!!omap` (a JS Map) an object, as
 *   Spring's YAML processor flattens them, unless it holds a `{jwe}` secret: a member of a set or
 *   ordered map has no key path to decrypt it at, so the document is refused rather than the secret
 *   silently dropped (JSON.stringify writes both as `{}`);
 * - a timestamp becomes its ISO text (what JSON.stringify writes), `!!binary` its base64 text.
 * Refuses (ERR_DOCUMENT_INVALID) nesting deeper than the limit and (ERR_DOCUMENT_TOO_LARGE) a copy
 * that grows past `maxBytes` (counted as a lower bound of its JSON), naming the key path where it
 * does: YAML aliases are copied here, so an alias bomb stops at the bound, not at the heap's end.
 */
export function toPlainJson(
  value: unknown,
  where: string,
  maxBytes: number,
  options: { inPlace?: boolean } = {},
): unknown {
  const budget = new SizeBudget(maxBytes, where)
  // A JSON.parse result is plain data already, fresh and held by nothing else: its objects are
  // made prototype-free where they are rather than copied (the copy doubled a large document).
  const inPlace = options.inPlace === true
  const path: (string | number)[] = []
  const at = (): string => showKey(formatPath(path))

  // Charges are a lower bound of the JSON (text by its length, one byte a number): cheap, and
  // enough to stop an alias expansion early. prepareConfig measures the served JSON exactly.
  const plain = (value: unknown): unknown => {
    if (typeof value === 'string') {
      budget.charge(value.length + 2, at)
      return value
    }
    if (typeof value !== 'object' || value === null) {
      budget.charge(1, at)
      return plainScalar(value)
    }
    // The root is level 1: an object or list at a path of 64 keys is level 65.
    if (path.length + 1 > DOCUMENT_LIMITS.maxDepth) {
      throw new SidecarError(
        'ERR_DOCUMENT_INVALID',
        `${where} nests deeper than ${DOCUMENT_LIMITS.maxDepth} levels`,
      )
    }
    if (Array.isArray(value)) {
      budget.charge(2 + value.length, at)
      const out: unknown[] = inPlace ? value : new Array<unknown>(value.length)
      for (let i = 0; i < value.length; i += 1) {
        path.push(i)
        out[i] = plain(value[i])
        path.pop()
      }
      return out
    }
    if (isRecord(value)) {
      budget.charge(2, at)
      const out = inPlace ? (Object.setPrototypeOf(value, null) as ConfigRecord) : newRecord()
      for (const key of Object.keys(value)) {
        path.push(key)
        budget.charge(key.length + 4, at)
        out[key] = plain(value[key])
        path.pop()
      }
      return out
    }
    return plain(yamlValue(value, where, at))
  }
  return plain(value)
}

/**
 * A YAML 1.1 value as JSON can hold it: a timestamp as its ISO text, `!!binary` as base64 text, a
 * `!!set` as a list and a `!!omap` as an object, unless it holds a secret.
 */
function yamlValue(value: object, where: string, at: () => string): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString()
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64')
  if (value instanceof Set || value instanceof Map) {
    const kind = value instanceof Set ? '!!set' : '!!omap'
    if (holdsSecret(value)) {
      throw new SidecarError(
        'ERR_DOCUMENT_INVALID',
        `${where}: the YAML ${kind} at ${at()} holds a ${SECRET_PREFIX} secret; a secret must be ` +
          'the value of a map key or a list item, where it has a key path',
      )
    }
    if (value instanceof Set) return [...value]
    const out = newRecord()
    for (const [key, item] of value) {
      const name = plainKey(key)
      if (Object.hasOwn(out, name)) {
        throw new SidecarError(
          'ERR_DOCUMENT_INVALID',
          `${where}: the key ${showKey(name)} is given twice in the ${kind} at ${at()}`,
        )
      }
      out[name] = item
    }
    return out
  }
  throw new SidecarError(
    'ERR_DOCUMENT_INVALID',
    `${where}: the value at ${at()} is not JSON data (a ${value.constructor.name} object)`,
  )
}

function plainScalar(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'number' && !Number.isFinite(value)) return null
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return null
  return value
}

function plainKey(key: unknown): string {
  if (key === null || key === undefined) return ''
  if (typeof key === 'string') return key
  if (typeof key === 'number' || typeof key === 'boolean' || typeof key === 'bigint')
    return String(key)
  return JSON.stringify(key) ?? ''
}

/** True when a `{jwe}` string is anywhere inside, keys of maps and members of sets included. */
function holdsSecret(root: unknown): boolean {
  const stack: unknown[] = [root]
  const seen = new WeakSet<object>() // an alias shares its node: each is looked into once
  while (stack.length > 0) {
    const value = stack.pop()
    if (typeof value === 'string') {
      if (value.startsWith(SECRET_PREFIX)) return true
      continue
    }
    if (typeof value !== 'object' || value === null || seen.has(value)) continue
    seen.add(value)
    const children: unknown[] =
      value instanceof Map
        ? [...value].flat()
        : value instanceof Set || Array.isArray(value)
          ? [...(value as Iterable<unknown>)]
          : isRecord(value)
            ? [...Object.keys(value), ...Object.values(value)]
            : []
    for (const child of children) stack.push(child)
  }
  return false
}
