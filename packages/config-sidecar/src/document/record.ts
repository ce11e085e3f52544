/** A JSON object as the sidecar holds it. */
export type ConfigRecord = Record<string, unknown>

/**
 * A new object without a prototype. Documents are built from untrusted keys (`__proto__`,
 * `constructor`, `prototype` included); on such an object they are ordinary own properties and can
 * never reach Object.prototype.
 */
export function newRecord(): ConfigRecord {
  // The same as Object.create(null), but V8 starts it with fast properties, as an object literal:
  // a record of a few keys takes about half the memory of a dictionary-mode one (a 4 MiB document
  // of small objects took 28 MB of heap, not 14).
  return Object.setPrototypeOf({}, null) as ConfigRecord
}

/** True for a plain JSON object (with or without a prototype), false for arrays and null. */
export function isRecord(value: unknown): value is ConfigRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === null || proto === Object.prototype
}

/** Reads an own property only: inherited names never count as config. */
export function ownValue(record: ConfigRecord, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined
}

/** Deep-merges `source` into `target`: objects merge, anything else from `source` replaces. */
export function deepMerge(target: ConfigRecord, source: ConfigRecord): ConfigRecord {
  for (const key of Object.keys(source)) {
    const incoming = source[key]
    const existing = ownValue(target, key)
    if (isRecord(existing) && isRecord(incoming)) {
      deepMerge(existing, incoming)
    } else {
      target[key] = copy(incoming)
    }
  }
  return target
}

/** A deep copy made of prototype-free objects. */
export function copy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copy)
  if (isRecord(value)) {
    const out = newRecord()
    for (const key of Object.keys(value)) out[key] = copy(value[key])
    return out
  }
  return value
}
