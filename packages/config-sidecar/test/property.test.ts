// Property-based tests (fast-check) of the parts that take untrusted input: the Spring key expansion,
// the settings parser and the path lookup. Each property runs on a few hundred generated inputs;
// a failure prints the smallest input fast-check could shrink it to.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SettingsError } from '@sample/shared'
import { SidecarError } from '../src/support/errors.js'
import { valueAtPath } from '../src/document/path.js'
import { copy, isRecord, ownValue } from '../src/document/record.js'
import type { ConfigRecord } from '../src/document/record.js'
import { mergeSpringEnvironment, parsePropertyKey } from '../src/document/spring.js'
import type { KeySegment } from '../src/document/spring.js'
import { SETTINGS, loadSettings } from '../src/settings/settings.js'

const RUNS = { numRuns: 300 }
/** Names that mean something to JavaScript objects: they must stay plain data. */
const PROTO_NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
]

// ---------------------------------------------------------------------------------------------
// Spring keys

/** A segment as generated, and how it is written in a key. */
type Generated =
  | { kind: 'name'; value: string }
  | { kind: 'index'; value: number }
  | { kind: 'bracketed'; value: string }

const nameChar = fc.oneof(
  fc.constantFrom('a', 'b', 'z', 'A', '0', '9', '_', '-', '$', ' ', 'é', '"', "'", '*'),
  fc.string({ minLength: 1, maxLength: 1, unit: 'grapheme' }),
)
const name = fc.oneof(
  fc.constantFrom(...PROTO_NAMES),
  fc
    .array(nameChar, { minLength: 1, maxLength: 8 })
    .map((chars) => chars.join(''))
    .filter((text) => !/[.[\]]/.test(text)),
)
// Inside brackets a key may hold dots (`map[x.y]`), but not `]`; digits alone are an index and a
// quoted key loses its quotes, so neither round-trips as a string.
const bracketed = fc
  .array(fc.oneof(nameChar, fc.constant('.')), { minLength: 1, maxLength: 8 })
  .map((chars) => chars.join(''))
  .filter((text) => !text.includes(']') && !/^\d+$/.test(text) && !/^(["']).*\1$/.test(text))
const segment: fc.Arbitrary<Generated> = fc.oneof(
  { weight: 4, arbitrary: name.map((value) => ({ kind: 'name' as const, value })) },
  { weight: 2, arbitrary: fc.nat(9_999).map((value) => ({ kind: 'index' as const, value })) },
  { weight: 1, arbitrary: bracketed.map((value) => ({ kind: 'bracketed' as const, value })) },
)

function formatKey(segments: readonly Generated[]): string {
  return segments
    .map((part, index) => {
      if (part.kind === 'index') return `[${part.value}]`
      if (part.kind === 'bracketed') return `[${part.value}]`
      return index === 0 ? part.value : `.${part.value}`
    })
    .join('')
}

/** Throws only SidecarError (ERR_DOCUMENT_INVALID), never anything else. */
function onlySidecarErrors(run: () => unknown): unknown {
  try {
    return run()
  } catch (error) {
    expect(error).toBeInstanceOf(SidecarError)
    expect((error as SidecarError).code).toBe('ERR_DOCUMENT_INVALID')
    return undefined
  }
}

describe('Spring key expansion (document/spring.ts)', () => {
  it('parsePropertyKey round-trips generated keys: names, indexes and bracketed map keys', () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 8 }), (segments) => {
        const expected: KeySegment[] = segments.map((part) => part.value)
        expect(parsePropertyKey(formatKey(segments), 'test')).toEqual(expected)
      }),
      RUNS,
    )
  })

  it('parsePropertyKey throws nothing but SidecarError on any string', () => {
    const noisy = fc
      .array(
        fc.oneof(
          fc.constantFrom('.', '[', ']', '0', '99999', 'a', '"'),
          fc.string({ maxLength: 3 }),
        ),
        {
          maxLength: 12,
        },
      )
      .map((parts) => parts.join(''))
    fc.assert(
      fc.property(noisy, (key) => {
        const segments = onlySidecarErrors(() => parsePropertyKey(key, 'test')) as
          KeySegment[] | undefined
        if (segments !== undefined) {
          expect(segments.length).toBeGreaterThan(0)
          for (const part of segments)
            if (typeof part === 'number') expect(part).toBeLessThanOrEqual(9_999)
        }
      }),
      RUNS,
    )
  })

  const anyKey = fc.oneof(
    fc.array(segment, { minLength: 1, maxLength: 5 }).map(formatKey),
    fc.string({ maxLength: 12 }),
    fc.constantFrom('a[', 'a]', '[]', '.', 'list[10000]', 'a..b', '__proto__.x', 'a[__proto__]'),
  )
  const environment = fc.record({
    name: fc.string(),
    version: fc.option(fc.string(), { nil: undefined }),
    propertySources: fc.array(
      fc.oneof(
        {
          weight: 5,
          arbitrary: fc.record({
            name: fc.string(),
            source: fc.dictionary(anyKey, fc.jsonValue()),
          }),
        },
        { weight: 1, arbitrary: fc.jsonValue() },
      ),
      { maxLength: 5 },
    ),
  })

  it('merge never throws anything but SidecarError, and its result is plain JSON data', () => {
    fc.assert(
      fc.property(environment, (generated) => {
        // As parseDocument hands it over: parsed JSON, copied into prototype-free objects.
        const input = copy(JSON.parse(JSON.stringify(generated))) as ConfigRecord
        const merged = onlySidecarErrors(() => mergeSpringEnvironment(input, 'test')) as
          { document: ConfigRecord } | undefined
        if (merged === undefined) return
        expect(Object.getPrototypeOf(merged.document)).toBe(null)
        const text = JSON.stringify(merged.document)
        expect(JSON.stringify(JSON.parse(text))).toBe(text)
      }),
      RUNS,
    )
  })

  it('earlier property sources win, key by key, and a list comes whole from one source', () => {
    const sectionKey = fc.tuple(
      fc.constantFrom('s0', 's1', 's2'),
      fc.constantFrom('k0', 'k1', 'k2'),
    )
    const scalar = fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.boolean())
    const source = fc.record({
      values: fc.array(fc.tuple(sectionKey, scalar), { maxLength: 6 }),
      list: fc.dictionary(fc.constantFrom('0', '1', '2', '3'), scalar, { maxKeys: 3 }),
    })
    fc.assert(
      fc.property(fc.array(source, { minLength: 1, maxLength: 4 }), (sources) => {
        const propertySources = sources.map(({ values, list }, index) => {
          const entries: [string, unknown][] = values.map(([[section, key], value]) => [
            `${section}.${key}`,
            value,
          ])
          for (const [position, value] of Object.entries(list))
            entries.push([`list[${position}]`, value])
          return { name: `source-${index}`, source: Object.fromEntries(entries) }
        })
        const input = copy(JSON.parse(JSON.stringify({ propertySources }))) as ConfigRecord
        const { document } = mergeSpringEnvironment(input, 'test')

        for (const section of ['s0', 's1', 's2'])
          for (const key of ['k0', 'k1', 'k2']) {
            const first = propertySources.find((entry) =>
              Object.hasOwn(entry.source, `${section}.${key}`),
            )
            expect(valueAtPath(document, [section, key])).toEqual(
              first?.source[`${section}.${key}`],
            )
          }
        const owner = sources.find((entry) => Object.keys(entry.list).length > 0)
        if (owner === undefined) expect(ownValue(document, 'list')).toBeUndefined()
        else {
          const length = Math.max(...Object.keys(owner.list).map(Number)) + 1
          const expected = Array.from({ length }, (_, i) => owner.list[String(i)] ?? null)
          expect(ownValue(document, 'list')).toEqual(expected)
        }
      }),
      RUNS,
    )
  })

  it('pollutes no prototype: __proto__, constructor and prototype keys become plain data', () => {
    const protoKey = fc
      .array(fc.oneof(fc.constantFrom(...PROTO_NAMES), fc.constantFrom('polluted', 'x')), {
        minLength: 2,
        maxLength: 2,
      })
      .chain((parts) =>
        fc.constantFrom(parts.join('.'), `${parts[0]}[${parts[1]}]`, `${parts[0]}['${parts[1]}']`),
      )
    const before = Object.getOwnPropertyNames(Object.prototype).sort()
    fc.assert(
      fc.property(
        fc.array(fc.dictionary(protoKey, fc.string({ maxLength: 3 }), { maxKeys: 6 }), {
          minLength: 1,
          maxLength: 3,
        }),
        (sources) => {
          const input = copy(
            JSON.parse(
              JSON.stringify({ propertySources: sources.map((source) => ({ name: 's', source })) }),
            ),
          ) as ConfigRecord
          const { document } = mergeSpringEnvironment(input, 'test')
          // Every path holds the value of the first key (by source, then by order) that names it,
          // as own properties of prototype-free objects.
          const expected = new Map<string, { path: string[]; value: string }>()
          for (const source of sources)
            for (const key of Object.keys(source)) {
              const path = parsePropertyKey(key, 'test').map(String)
              const id = JSON.stringify(path)
              if (!expected.has(id)) expected.set(id, { path, value: source[key]! })
            }
          for (const { path, value } of expected.values())
            expect(valueAtPath(document, path)).toEqual(value)
          const walk = (value: unknown): void => {
            if (Array.isArray(value)) value.forEach(walk)
            else if (typeof value === 'object' && value !== null) {
              expect(Object.getPrototypeOf(value)).toBe(null)
              for (const key of Object.keys(value)) walk((value as ConfigRecord)[key])
            }
          }
          walk(document)
          expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
          expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before)
        },
      ),
      RUNS,
    )
  })
})

// ---------------------------------------------------------------------------------------------
// Settings

describe('the settings parser (settings.ts loadSettings)', () => {
  const context = { tmpDir: '/tmp', cwd: '/srv/app' }
  const SECRET_NAMES = [
    'CONFIG_CLIENT_SECRET',
    'CONFIG_BEARER_TOKEN',
    'CONFIG_SIDECAR_TOKEN',
    'CONFIG_KEYS',
  ]
  const names = SETTINGS.map((setting) => setting.name)

  // A secret that cannot appear by chance; generated values of the secret settings and credentials
  // inside URLs are made of it.
  const secret = fc.stringMatching(/^[A-Za-z0-9]{6,12}$/).map((tail) => `SeCrEt${tail}`)
  const plausible = fc.oneof(
    fc.constantFrom(
      '',
      ' ',
      '8082',
      '0',
      '65536',
      '-1',
      'abc',
      '500ms',
      '30s',
      '5m',
      '1h',
      '24h',
      '30',
      '1d',
    ),
    fc.constantFrom(
      'file:',
      'file:/etc/config',
      'file:relative.yaml',
      'http://config:8888/app',
      'https://h/a/b',
    ),
    fc.constantFrom(
      'ftp://x',
      'http://',
      'http://[::1',
      'token',
      'none',
      'debug',
      'loud',
      '{"keys":[]}',
      '{',
    ),
    fc.string({ maxLength: 20 }),
  )
  const secretValue = fc.oneof(
    secret,
    secret.map((value) => `${value}!`),
    secret.map((value) => `{"keys":[{"k":"${value}"}]}`),
    secret.map((value) => `short${value}`.slice(0, 10)),
  )
  const urlWithSecret = fc.oneof(
    secret.map((value) => `http://user:${value}@config.example/app`),
    secret.map((value) => `ftp://user:${value}@config.example/app`),
    secret.map((value) => `https://user:${value}@[bad/app`),
    secret.map((value) => `https://config.example/app?access_token=${value}`),
    secret.map((value) => `gopher://config.example/app?access_token=${value}#${value}`),
    secret.map((value) => `htps://user:pa/${value}@config.example/app`),
    secret.map((value) => `http://user:${value}@config.example:99999/app`),
  )
  const entry = fc.oneof(
    fc.tuple(fc.constantFrom(...names), plausible),
    fc.tuple(fc.constantFrom(...SECRET_NAMES), secretValue),
    fc.tuple(fc.constantFrom('CONFIG_SOURCE', 'CONFIG_TOKEN_URL'), urlWithSecret),
    fc.tuple(fc.constantFrom('CONFIG_SORCE', 'CONFIG_POLL', 'CONFIG_'), plausible),
  )
  const env = fc.array(entry, { maxLength: 10 }).map((entries) => Object.fromEntries(entries))

  it('throws nothing but SettingsError; every problem names a CONFIG_ variable; no secret is echoed', () => {
    fc.assert(
      fc.property(env, (generated) => {
        const secrets = [...JSON.stringify(generated).matchAll(/SeCrEt[A-Za-z0-9]+/g)].map(
          (m) => m[0],
        )
        let shown: string[]
        try {
          const { settings, notices } = loadSettings(generated, context)
          shown = [...notices, settings.source.display]
        } catch (error) {
          expect(error).toBeInstanceOf(SettingsError)
          const problems = (error as SettingsError).problems
          expect(problems.length).toBeGreaterThan(0)
          for (const problem of problems) expect(problem).toMatch(/\bCONFIG_[A-Z_]+\b/)
          shown = [...problems, (error as Error).message]
        }
        for (const text of shown) for (const value of secrets) expect(text).not.toContain(value)
      }),
      { numRuns: 500 },
    )
  })
})

// ---------------------------------------------------------------------------------------------
// Path lookup

describe('the path lookup (document/path.ts valueAtPath)', () => {
  /** The reference: own enumerable entries only, list positions written as plain decimals. */
  function referenceWalk(document: unknown, path: readonly string[]): unknown {
    let current = document
    for (const step of path) {
      if (typeof current !== 'object' || current === null) return undefined
      const entries: [string, unknown][] = Array.isArray(current)
        ? current.map((value, index): [string, unknown] => [String(index), value])
        : Object.entries(current)
      const hit = entries.find(([key]) => key === step)
      if (hit === undefined) return undefined
      current = hit[1]
    }
    return current
  }

  const keysOf = (value: unknown, out: string[] = []): string[] => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        out.push(String(index))
        keysOf(item, out)
      })
    } else if (isRecord(value)) {
      for (const key of Object.keys(value)) {
        out.push(key)
        keysOf(value[key], out)
      }
    }
    return out
  }
  const inherited = fc.constantFrom(
    ...PROTO_NAMES,
    'length',
    '__defineGetter__',
    'at',
    'map',
    '01',
    '1e0',
    ' 1',
    '-1',
    '+1',
  )
  const documents = fc
    .tuple(fc.jsonValue({ maxDepth: 4 }), fc.boolean())
    .map(([value, prototypeFree]) => {
      const parsed: unknown = JSON.parse(JSON.stringify({ root: value }))
      return prototypeFree ? copy(parsed) : parsed
    })

  it('agrees with a reference walk of own entries, and never returns an inherited property', () => {
    fc.assert(
      fc.property(
        documents.chain((document) => {
          const known = keysOf(document)
          const step =
            known.length > 0
              ? fc.oneof(fc.constantFrom(...known), inherited, fc.string({ maxLength: 3 }))
              : inherited
          return fc.tuple(fc.constant(document), fc.array(step, { maxLength: 6 }))
        }),
        ([document, path]) => {
          const found = valueAtPath(document, path)
          expect(found).toEqual(referenceWalk(document, path))
          if (path.length > 0 && found !== undefined) {
            // What was found is an own value of its parent.
            const parent = valueAtPath(document, path.slice(0, -1))
            const last = path[path.length - 1]!
            expect(Object.hasOwn(parent as object, last)).toBe(true)
          }
        },
      ),
      RUNS,
    )
  })
})
