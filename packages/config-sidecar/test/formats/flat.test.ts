// The flat view: every leaf under its `a.b[0].c` path (the Spring client's view, and the path syntax
// of every list of keys), checked against an independent rebuild of the document from the paths.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { flatEntries, flatPath, isRefusal, leafText, renderFlat } from '../../src/formats/flat.js'
import { documentOf, served } from '../../../../test-support/arbitraries.js'

const RUNS = { numRuns: 300 }

/** Rebuilds a nested document from `a.b[0].c` keys (keys hold no `.`, `[` or `]`). */
function unflatten(flat: Record<string, unknown>): Record<string, unknown> {
  const root: Record<string, unknown> = {}
  for (const [path, value] of Object.entries(flat)) {
    const segments: (string | number)[] = []
    for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
      segments.push(match[2] === undefined ? match[1]! : Number(match[2]))
    }
    let parent: Record<string | number, unknown> = root
    segments.forEach((segment, index) => {
      if (index === segments.length - 1) {
        parent[segment] = value
        return
      }
      parent[segment] ??= typeof segments[index + 1] === 'number' ? [] : {}
      parent = parent[segment] as Record<string | number, unknown>
    })
  }
  return root
}

describe('flatEntries', () => {
  it('names each leaf by its path, in document order, with empty lists and objects as leaves', () => {
    const document = {
      greeting: 'hi',
      features: { darkMode: true, limit: 600, none: null },
      backends: [{ name: 'orders', ports: [80, 443] }, 'plain'],
      emptyList: [],
      emptyMap: {},
    }
    expect(flatEntries(document).map((entry) => [entry.path, entry.value])).toEqual([
      ['greeting', 'hi'],
      ['features.darkMode', true],
      ['features.limit', 600],
      ['features.none', null],
      ['backends[0].name', 'orders'],
      ['backends[0].ports[0]', 80],
      ['backends[0].ports[1]', 443],
      ['backends[1]', 'plain'],
      ['emptyList', []],
      ['emptyMap', {}],
    ])
    expect(flatEntries(document)[5]!.segments).toEqual(['backends', 0, 'ports', 0])
  })

  it('normalises values as the served JSON has them', () => {
    expect(
      flatEntries({ inf: Infinity, nan: Number.NaN, gone: undefined, list: [undefined] }).map(
        (entry) => [entry.path, entry.value],
      ),
    ).toEqual([
      ['inf', null],
      ['nan', null],
      ['list[0]', null],
    ])
  })

  it('writes the path of any segments the same way', () => {
    expect(flatPath(['a', 'b', 0, 'c'])).toBe('a.b[0].c')
    expect(flatPath([])).toBe('')
    fc.assert(
      fc.property(documentOf(), (document) => {
        for (const entry of flatEntries(document)) expect(flatPath(entry.segments)).toBe(entry.path)
      }),
      RUNS,
    )
  })

  it('gives the text of a leaf for text-only formats', () => {
    expect(
      [true, 600, 1e21, -0, null, [], {}, 'x'].map((value) => leafText(value as never)),
    ).toEqual(['true', '600', '1e+21', '0', '', '', '', 'x'])
  })
})

describe('renderFlat', () => {
  it('round-trips: the flat keys rebuild the served document exactly', () => {
    fc.assert(
      fc.property(documentOf({ plainKeys: true }), (document) => {
        const flat = renderFlat(document)
        if (isRefusal(flat)) throw new Error(flat.refused)
        expect(unflatten(JSON.parse(flat) as Record<string, unknown>)).toEqual(served(document))
      }),
      RUNS,
    )
  })

  it('holds every leaf with its JSON value, whatever the keys', () => {
    fc.assert(
      fc.property(documentOf(), (document) => {
        const flat = renderFlat(document)
        const entries = flatEntries(document)
        const paths = entries.map((entry) => entry.path)
        if (isRefusal(flat)) {
          // Refused only when two leaves really share a path.
          expect(new Set(paths).size).toBeLessThan(paths.length)
          return
        }
        expect(Object.entries(JSON.parse(flat) as object)).toEqual(
          entries.map((entry) => [entry.path, served(entry.value)]),
        )
      }),
      RUNS,
    )
  })

  it('refuses two keys that flatten to one path, naming both, never a value', () => {
    const refused = renderFlat({ 'a.b': 'first-secret', a: { b: 'second-secret' } })
    expect(isRefusal(refused)).toBe(true)
    const message = (refused as { refused: string }).refused
    expect(message).toBe('the keys ["a.b"] and ["a","b"] are both a.b in the flat view')
    expect(message).not.toContain('secret')
  })
})
