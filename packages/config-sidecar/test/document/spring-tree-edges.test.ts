// Edges of building the nested document from resolved Spring properties (spring-tree.ts), through
// mergeSpringEnvironment: the size budget is an upper bound of the served JSON that stays close to
// it, null values fill only free places, a value never becomes a container to nest into, and the
// notices name the place that is taken and stop naming after twenty.
import { describe, expect, it } from 'vitest'
import { mergeSpringEnvironment } from '../../src/document/spring.js'
import type { MergedEnvironment } from '../../src/document/spring.js'
import { SidecarError } from '../../src/support/errors.js'

function merge(source: Record<string, unknown>, maxBytes?: number): MergedEnvironment {
  const environment = { propertySources: [{ name: 's', source }] }
  return mergeSpringEnvironment(environment, 'cfg', maxBytes === undefined ? {} : { maxBytes })
}

/** Members of every object and elements of every list in a JSON value. */
function entries(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, item) => n + 1 + entries(item), 0)
  if (typeof value === 'object' && value !== null)
    return Object.values(value).reduce((n: number, item) => n + 1 + entries(item), 0)
  return 0
}

function tooLargeAt(source: Record<string, unknown>, maxBytes: number): unknown {
  try {
    merge(source, maxBytes)
  } catch (error) {
    return error
  }
  return undefined
}

describe('the size budget of a Spring document', () => {
  const cases: Record<string, Record<string, unknown>> = {
    'list elements in order': { 'l[0]': 1, 'l[1]': 2, 'l[2]': 3, 'l[3]': 4, 'l[4]': 5 },
    'a list element after a later one (a hole filled)': { 'l[3]': 1, 'l[0]': 2 },
    'holes filled, then a long value': {
      'l[9]': 9,
      ...Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`l[${i}]`, i])),
      'm[0]': 'x'.repeat(300),
    },
    'long keys and string values': { 'a.long-key-name': 'a long string value here', b: 'x' },
    'numbers and booleans': { n: 123456789, t: true, f: false },
    'object and list values': { obj: { k: 'vvvvvvvvvv', m: 1 }, arr: [1, 2, 3, 'xxxxxxx'] },
    'null values': { z: null, 'y.w': null, 'y.v': 'value' },
  }

  for (const [name, source] of Object.entries(cases)) {
    it(`never lets a document pass whose JSON is over the limit, nor refuses one well under it: ${name}`, () => {
      const { document } = merge(source)
      const actual = Buffer.byteLength(JSON.stringify(document))
      // The budget charges at most one separator per entry and five bytes ("null,") per list slot
      // beyond the JSON itself, so a limit with that much room always passes.
      expect(merge(source, actual + 6 * entries(document)).document).toEqual(document)
      const error = tooLargeAt(source, actual - 1)
      expect(error).toBeInstanceOf(SidecarError)
      expect((error as SidecarError).code).toBe('ERR_DOCUMENT_TOO_LARGE')
    })
  }

  it('names the key and the source where the limit is passed', () => {
    const error = tooLargeAt(
      { first: 1, 'second.key': 'a value long enough to pass the limit' },
      30,
    )
    expect((error as SidecarError).message).toMatch(
      /^cfg expands to more than 30 bytes .* the limit is passed at "second\.key" of propertySources\[0\]$/,
    )
  })
})

describe('null values in a Spring document', () => {
  it('serves a null only where no valued key needs the place', () => {
    const { document, notices } = merge({ a: null, 'a.b': 1, c: null, 'l[0]': null, 'l[1]': 'x' })
    expect(JSON.parse(JSON.stringify(document))).toEqual({ a: { b: 1 }, c: null, l: [null, 'x'] })
    expect(notices).toEqual([])
  })

  it('never names a null property that finds its place taken', () => {
    const { document, notices } = merge({ a: 1, 'a.b': null })
    expect(JSON.parse(JSON.stringify(document))).toEqual({ a: 1 })
    expect(notices).toEqual([])
  })
})

describe('values that collide with deeper keys', () => {
  it('never nests a deeper key into an object that is a property value', () => {
    // "foo.db" holds the value of `foo.db` (beside the value of `foo`); `[foo.db].x` meets that
    // value, which is not a container the merge built, so it becomes a dotted name in turn.
    const { document } = merge({ foo: 1, 'foo.db': { k: 1 }, '[foo.db].x': 2 })
    expect(JSON.parse(JSON.stringify(document))).toEqual({
      foo: 1,
      'foo.db': { k: 1 },
      '[foo.db].x': 2,
    })
  })

  it('keeps the first of two properties whose dotted name is the same key, naming the other', () => {
    // The place is named as a Spring key: `[foo.db]` is the one key "foo.db" of the root object.
    const { document, notices } = merge({ '[foo.db]': 3, foo: 1, 'foo.db': 2 })
    expect(JSON.parse(JSON.stringify(document))).toEqual({ 'foo.db': 3, foo: 1 })
    expect(notices).toEqual([
      'cfg: property "foo.db" of propertySources[0] is not served: its place ("[foo.db]") holds ' +
        'another property',
    ])
  })

  it('names the place from the nearest object down, not the whole key', () => {
    const { notices } = merge({ 'x.a': 1, 'x.a.b': 2, 'x[a.b]': 3 })
    expect(notices).toEqual([
      'cfg: property "x[a.b]" of propertySources[0] is not served: its place ("[a.b]") holds ' +
        'another property',
    ])
  })

  it('names twenty properties that are not served and counts the rest', () => {
    const source: Record<string, unknown> = {}
    for (let i = 0; i < 23; i += 1) {
      source[`[k${i}.x]`] = 'first'
      source[`k${i}`] = 'value'
      source[`k${i}.x`] = 'second'
    }
    const { notices } = merge(source)
    expect(notices).toHaveLength(21)
    expect(notices[19]).toBe(
      'cfg: property "k19.x" of propertySources[0] is not served: its place ("[k19.x]") holds ' +
        'another property',
    )
    expect(notices[20]).toBe('cfg: 3 more properties are not served for the same reason')
  })

  it('adds no count when exactly twenty properties are not served', () => {
    const source: Record<string, unknown> = {}
    for (let i = 0; i < 20; i += 1) {
      source[`[k${i}.x]`] = 'first'
      source[`k${i}`] = 'value'
      source[`k${i}.x`] = 'second'
    }
    const { notices } = merge(source)
    expect(notices).toHaveLength(20)
    expect(notices.every((notice) => notice.includes('is not served: its place'))).toBe(true)
  })
})
