// Property-based tests (fast-check) of the Spring merge and of the whole document stage:
// 1. for random flat property sources (dotted and indexed keys over a tiny alphabet, so values and
//    deeper keys, lists and maps collide all the time), every key a Spring client resolves is in
//    the served document with the value Spring resolves, by nested path or as a dotted key;
// 2. for arbitrary environments and versions, the whole prepare step and the served config with its
//    headers throw nothing but SidecarError, the version is a valid header value, and the served
//    bytes stay within 4× the bytes fetched (plus a small constant).
import { validateHeaderValue } from 'node:http'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { prepareConfig } from '../../src/document/prepare.js'
import { isRecord } from '../../src/document/record.js'
import { SidecarError } from '../../src/support/errors.js'
import { createServedConfig } from '../../src/state/served-config.js'

type Segment = string | number

// ---------------------------------------------------------------------------------------------
// A model of what a Spring client resolves, written from Spring's rules, not from our code.

/** `a.b[0].c` as Spring writes a key. */
function springKey(segments: readonly Segment[]): string {
  return segments
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('')
}

/**
 * What `Environment.getProperty(key)` gives for each key, lists bound as Boot binds them: the first
 * source with a non-null value wins a key; a list (the key up to its first index) is taken whole
 * from the first source that has any element of it.
 */
function springResolves(
  sources: readonly (readonly (readonly [Segment[], unknown])[])[],
): Map<string, { segments: Segment[]; value: unknown }> {
  const listOwner = new Map<string, number>()
  sources.forEach((source, index) => {
    for (const [segments] of source) {
      const at = segments.findIndex((part) => typeof part === 'number')
      if (at === -1) continue
      const list = springKey(segments.slice(0, at))
      if (!listOwner.has(list)) listOwner.set(list, index)
    }
  })
  const resolved = new Map<string, { segments: Segment[]; value: unknown }>()
  sources.forEach((source, index) => {
    for (const [segments, value] of source) {
      const key = springKey(segments)
      if (resolved.has(key) || value === null) continue
      const at = segments.findIndex((part) => typeof part === 'number')
      if (at !== -1 && listOwner.get(springKey(segments.slice(0, at))) !== index) continue
      resolved.set(key, { segments, value })
    }
  })
  return resolved
}

/** Every value the document holds for a key: by nested path, or as a dotted key on the way. */
function lookUp(document: unknown, segments: readonly Segment[]): unknown[] {
  const found: unknown[] = []
  const walk = (node: unknown, rest: readonly Segment[]): void => {
    if (rest.length === 0) {
      found.push(node)
      return
    }
    const [first, ...tail] = rest
    if (isRecord(node)) {
      const dotted = springKey(rest)
      if (rest.length > 1 && Object.hasOwn(node, dotted)) found.push(node[dotted])
      if (typeof first === 'string' && Object.hasOwn(node, first)) walk(node[first], tail)
      if (typeof first === 'number' && Object.hasOwn(node, dotted)) found.push(node[dotted])
    } else if (Array.isArray(node) && typeof first === 'number' && first < node.length) {
      walk(node[first], tail)
    }
  }
  walk(document, segments)
  return found
}

const segment: fc.Arbitrary<Segment> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('a', 'b', 'c') },
  { weight: 2, arbitrary: fc.constantFrom(0, 1, 2) },
)
const scalar = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 3 }) },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
)
/** One property source: distinct keys (as Spring writes them) with scalar values. */
const flatSource = fc
  .uniqueArray(fc.tuple(fc.array(segment, { minLength: 1, maxLength: 4 }), scalar), {
    maxLength: 10,
    selector: ([segments]) => springKey(segments),
  })
  .map((entries) => entries as (readonly [Segment[], unknown])[])

describe('Spring fidelity as a property', () => {
  it('every key a Spring client resolves is served with its value, nested or as a dotted key', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(flatSource, { minLength: 1, maxLength: 4 }), async (sources) => {
        const environment = {
          name: 'app',
          profiles: ['default'],
          propertySources: sources.map((source, index) => ({
            name: `source-${index}`,
            source: Object.fromEntries(source.map(([key, value]) => [springKey(key), value])),
          })),
        }
        const prepared = await prepareConfig(
          {
            documents: [
              { body: Buffer.from(JSON.stringify(environment)), contentType: 'application/json' },
            ],
          },
          { where: 'test', decryptor: undefined, previous: new Map() },
        )
        const document: unknown = JSON.parse(JSON.stringify(prepared.document))
        for (const [key, { segments, value }] of springResolves(sources)) {
          expect(
            lookUp(document, segments),
            `${key} is served as ${JSON.stringify(value)}`,
          ).toContainEqual(value)
        }
        expect(prepared.notices ?? []).toEqual([])
      }),
      { numRuns: 400 },
    )
  })
})

// ---------------------------------------------------------------------------------------------
// Arbitrary environments through the whole document stage and into the served headers.

const hostileText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ maxLength: 12, unit: 'binary' }),
  fc.constantFrom('v1\r\nSet-Cookie: x=1', '\u0000', 'v\t1', 'é', '\u0100', '😀', 'x'.repeat(201)),
)
const keyPart = fc.oneof(
  fc.constantFrom('a', 'b', 'list', '__proto__', 'spring', 'profiles', '', ' '),
  fc.string({ maxLength: 4 }),
)
const key = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.array(keyPart, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('.')),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(keyPart, fc.oneof(fc.nat(3), fc.nat(9_999), fc.constant(10_000)), fc.option(keyPart))
      .map(([name, index, tail]) => `${name}[${index}]${tail === null ? '' : `.${tail}`}`),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
)
const value = fc.oneof(
  { weight: 5, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  {
    weight: 1,
    arbitrary: fc.record({ value: fc.jsonValue({ maxDepth: 1 }), origin: fc.string() }),
  },
)
const environment = fc.record(
  {
    name: fc.string({ maxLength: 5 }),
    profiles: fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }),
    version: fc.oneof(hostileText, fc.constant(null), fc.integer()),
    propertySources: fc.array(
      fc.oneof(
        {
          weight: 6,
          arbitrary: fc.record({
            name: fc.string({ maxLength: 5 }),
            source: fc.dictionary(key, value, { maxKeys: 12 }),
          }),
        },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
      ),
      { maxLength: 4 },
    ),
  },
  { requiredKeys: ['propertySources'] },
)

describe('the document stage and the served headers, for any environment and version', () => {
  it('throws only SidecarError; the version is a header value; served bytes ≤ 4× the input + 1 KiB', async () => {
    await fc.assert(
      fc.asyncProperty(
        environment,
        fc.option(hostileText, { nil: undefined }),
        async (generated, headerVersion) => {
          const body = Buffer.from(JSON.stringify(generated))
          let prepared
          try {
            prepared = await prepareConfig(
              { documents: [{ body, contentType: 'application/json' }] },
              { where: 'test', decryptor: undefined, previous: new Map(), version: headerVersion },
            )
          } catch (error) {
            expect(error).toBeInstanceOf(SidecarError)
            return
          }
          const served = createServedConfig(prepared)
          expect(() => validateHeaderValue('x-config-version', served.version)).not.toThrow()
          expect(() => validateHeaderValue('etag', served.full.etag)).not.toThrow()
          expect(served.version).toMatch(/^[\x20-\x7e]{1,200}$/)
          const bound = 4 * body.length + 1024
          expect(served.full.body.length).toBeLessThanOrEqual(bound)
          expect(served.redacted().body.length).toBeLessThanOrEqual(bound)
          expect(JSON.parse(served.full.body.toString('utf8'))).toBeTypeOf('object')
          for (const notice of prepared.notices ?? []) expect(notice).not.toMatch(/[\r\n]/)
        },
      ),
      { numRuns: 800 },
    )
  })

  it('list-index bombs of any shape are refused or stay within the bound', async () => {
    const bomb = fc.array(
      fc.tuple(fc.constantFrom('l', 'm', 'n.o', 'p[0]', 'q[1]'), fc.nat(9_999), fc.boolean()),
      { minLength: 1, maxLength: 300 },
    )
    await fc.assert(
      fc.asyncProperty(bomb, async (keys) => {
        const source = Object.fromEntries(
          keys.map(([name, index, deep], i) => [
            `${name}${i % 7}[${index}]${deep ? `[${index}]` : ''}`,
            i,
          ]),
        )
        const body = Buffer.from(JSON.stringify({ propertySources: [{ name: 's', source }] }))
        try {
          const prepared = await prepareConfig(
            { documents: [{ body, contentType: 'application/json' }] },
            { where: 'test', decryptor: undefined, previous: new Map() },
          )
          expect(createServedConfig(prepared).full.body.length).toBeLessThanOrEqual(
            4 * body.length + 1024,
          )
        } catch (error) {
          expect(error).toBeInstanceOf(SidecarError)
          expect((error as SidecarError).code).toBe('ERR_DOCUMENT_TOO_LARGE')
          expect((error as SidecarError).message).toMatch(
            /the limit is passed at ".+\[\d+\].*" of propertySources\[0\]/,
          )
        }
      }),
      { numRuns: 100 },
    )
  })
})
