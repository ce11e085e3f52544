// Flattens a YAML or JSON document into Spring property form (`a.b.c`, `list[0]`).
import { DevConfigError } from './errors.js'

/** A value in a Spring property source: YAML and JSON scalars as written. */
export type PropertyValue = string | number | boolean

/** Deepest nesting accepted in a config file. */
export const MAX_DEPTH = 64

/**
 * Flattens one YAML or JSON document into Spring property form, as Spring's own YAML property
 * sources do (`YamlProcessor`): nested maps become dotted keys (`a.b.c`), list items `list[0]`,
 * `list[1]`, …; a key that starts with `[` is appended without a dot (`map[x.y]`); an empty list and
 * null become `""`; an empty map adds nothing. Keys keep their document order; when two spellings
 * flatten to the same key (`a.b` and `a: {b}`), the later one wins.
 */
export function flattenDocument(
  document: Readonly<Record<string, unknown>>,
  where: string,
): Map<string, PropertyValue> {
  const result = new Map<string, PropertyValue>()
  flattenMap(result, document, '', 1, where)
  return result
}

function flattenMap(
  result: Map<string, PropertyValue>,
  map: Readonly<Record<string, unknown>>,
  path: string,
  depth: number,
  where: string,
): void {
  if (depth > MAX_DEPTH) {
    throw new DevConfigError(
      500,
      'invalid_config',
      `${where} nests deeper than ${MAX_DEPTH} levels`,
    )
  }
  for (const key of Object.keys(map)) {
    const full = path === '' ? key : key.startsWith('[') ? `${path}${key}` : `${path}.${key}`
    flattenValue(result, full, map[key], depth, where)
  }
}

function flattenValue(
  result: Map<string, PropertyValue>,
  key: string,
  value: unknown,
  depth: number,
  where: string,
): void {
  // YAML's explicit !!set and !!omap tags make a Set and a Map: Spring's YamlProcessor flattens any
  // collection as a list and any map as a map, and so does this.
  const plain: unknown =
    value instanceof Set ? [...value] : value instanceof Map ? Object.fromEntries(value) : value
  if (Array.isArray(plain)) {
    if (plain.length === 0) {
      result.set(key, '')
      return
    }
    if (depth + 1 > MAX_DEPTH) {
      throw new DevConfigError(
        500,
        'invalid_config',
        `${where} nests deeper than ${MAX_DEPTH} levels`,
      )
    }
    plain.forEach((item, index) => flattenValue(result, `${key}[${index}]`, item, depth + 1, where))
  } else if (isPlainObject(plain)) {
    flattenMap(result, plain, key, depth + 1, where)
  } else {
    result.set(key, scalar(plain))
  }
}

function scalar(value: unknown): PropertyValue {
  if (value === null || value === undefined) return ''
  if (typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value)
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Date) return value.toISOString()
  // YAML's !!binary: base64, as Jackson (Spring's JSON) writes a byte[].
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64')
  return JSON.stringify(value) ?? '' // anything else: its JSON, or '' (a symbol, a function)
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const prototype = Object.getPrototypeOf(value) as unknown
  return prototype === Object.prototype || prototype === null
}
