// Edges of the key diff and its helpers (src/state/changes.ts) that random documents rarely reach:
// a path spelled twice by a subtree on one side, keys that start with `.`, three spellings of one
// path, properties holding undefined, top-level lists, strings; `isEmpty`; and `changesUnder` for
// object keys that read as numbers and for sub-paths the document does not hold.
import { describe, expect, it } from 'vitest'
import {
  NO_CHANGES,
  changesBetween,
  changesUnder,
  diffDocuments,
  isEmpty,
} from '../../src/state/changes.js'
import { createServedConfig } from '../../src/state/served-config.js'

describe('diffDocuments edges', () => {
  it('names a path that an added subtree spells twice once', () => {
    expect(diffDocuments({ x: 1 }, { x: 1, y: { 'a.b': 1, a: { b: 2 } } })).toStrictEqual({
      added: ['y.a.b'],
      removed: [],
      changed: [],
    })
    expect(diffDocuments({ x: 1, y: { 'a.b': 1, a: { b: 2 } } }, { x: 1 })).toStrictEqual({
      added: [],
      removed: ['y.a.b'],
      changed: [],
    })
  })

  it('compares a key starting with `.` with the empty key that spells its path', () => {
    // `{"": {"b": 1}}` and `{".b": 1}` are both `.b`: one path with two values, then one.
    expect(diffDocuments({ '': { b: 1 }, '.b': 1 }, { '': { b: 1 } })).toStrictEqual({
      added: [],
      removed: [],
      changed: ['.b'],
    })
    // The two values swapped: the path is named once.
    expect(diffDocuments({ '': { b: 1 }, '.b': 2 }, { '': { b: 2 }, '.b': 1 })).toStrictEqual({
      added: [],
      removed: [],
      changed: ['.b'],
    })
  })

  it('compares three spellings of one path value by value', () => {
    const before = { 'a.b.c': 1, 'a.b': { c: 1 }, a: { b: { c: 1 } } }
    expect(
      diffDocuments(before, { 'a.b.c': 1, 'a.b': { c: 2 }, a: { b: { c: 1 } } }),
    ).toStrictEqual({ added: [], removed: [], changed: ['a.b.c'] })
    expect(
      diffDocuments(before, { 'a.b.c': 1, 'a.b': { c: 1 }, a: { b: { c: 1 } } }),
    ).toStrictEqual(NO_CHANGES)
  })

  it('tells two empty objects at one path from one', () => {
    expect(diffDocuments({ 'a.b': {}, a: { b: {} } }, { a: { b: {} } })).toStrictEqual({
      added: [],
      removed: [],
      changed: ['a.b'],
    })
    expect(diffDocuments({ a: { b: {} } }, { 'a.b': {}, a: { b: {} } })).toStrictEqual({
      added: [],
      removed: [],
      changed: ['a.b'],
    })
  })

  it('takes a property holding undefined as absent, as the served JSON does', () => {
    expect(diffDocuments({ k: 1, z: 1 }, { k: undefined, z: 1 })).toStrictEqual({
      added: [],
      removed: ['k'],
      changed: [],
    })
    expect(diffDocuments({ k: undefined, z: 1 }, { k: 1, z: 1 })).toStrictEqual({
      added: ['k'],
      removed: [],
      changed: [],
    })
    expect(diffDocuments({ k: undefined, a: 1 }, { k: undefined, a: 2 })).toStrictEqual({
      added: [],
      removed: [],
      changed: ['a'],
    })
    expect(diffDocuments({ k: undefined, a: 1 }, { a: 1 })).toStrictEqual(NO_CHANGES)
  })

  it('names list items with brackets in a list at the top', () => {
    expect(diffDocuments([1, [2, 3]], [1, [2, 4], 5])).toStrictEqual({
      added: ['[2]'],
      removed: [],
      changed: ['[1][1]'],
    })
  })

  it('compares strings whole, not character by character', () => {
    expect(diffDocuments(['ab'], ['ac'])).toStrictEqual({
      added: [],
      removed: [],
      changed: ['[0]'],
    })
  })
})

describe('changesBetween a config and itself', () => {
  it('is no change, without a diff', () => {
    const a = createServedConfig({ document: { x: 1 }, secretPaths: [], version: 'v1' })
    expect(changesBetween(a, a)).toBe(NO_CHANGES)
  })
})

describe('isEmpty', () => {
  it('is true for a change naming no path, and false when any list names one', () => {
    expect(isEmpty(NO_CHANGES)).toBe(true)
    expect(isEmpty({ added: [], removed: [], changed: [] })).toBe(true)
    expect(isEmpty({ added: ['a'], removed: [], changed: [] })).toBe(false)
    expect(isEmpty({ added: [], removed: ['a'], changed: [] })).toBe(false)
    expect(isEmpty({ added: [], removed: [], changed: ['a'] })).toBe(false)
    // Lengths that cancel out under a subtraction still name paths.
    expect(isEmpty({ added: ['a'], removed: ['b'], changed: [] })).toBe(false)
    expect(isEmpty({ added: ['a'], removed: [], changed: ['c'] })).toBe(false)
    expect(isEmpty({ added: [], removed: ['b'], changed: ['c'] })).toBe(false)
  })
})

describe('changesUnder edges', () => {
  it('reads a number-like key of an object as a key, and a list index 0 as an index', () => {
    const changes = {
      added: ['a.1.x', 'a[1].x', 'list[0].y', 'list.0.y'],
      removed: [],
      changed: [],
    }
    expect(changesUnder(changes, { a: { '1': { x: 1 } } }, ['a', '1'])).toStrictEqual({
      added: ['a.1.x'],
      removed: [],
      changed: [],
    })
    expect(changesUnder(changes, { list: [{ y: 1 }] }, ['list', '0'])).toStrictEqual({
      added: ['list[0].y'],
      removed: [],
      changed: [],
    })
  })

  it('writes a negative number under a list as a key', () => {
    // `list` was an object with the key `-1`; it is a list now.
    const changes = { added: ['list[0]'], removed: ['list.-1'], changed: [] }
    expect(changesUnder(changes, { list: [1] }, ['list', '-1'])).toStrictEqual({
      added: [],
      removed: ['list.-1'],
      changed: [],
    })
  })

  it('filters by the spelling of a sub-path the document does not hold (past a missing key or a null)', () => {
    const changes = { added: [], removed: ['gone.deeper.x', 'n.b', 'n.c'], changed: [] }
    expect(changesUnder(changes, { a: 1 }, ['gone', 'deeper'])).toStrictEqual({
      added: [],
      removed: ['gone.deeper.x'],
      changed: [],
    })
    expect(changesUnder(changes, { n: null }, ['n', 'b'])).toStrictEqual({
      added: [],
      removed: ['n.b'],
      changed: [],
    })
  })
})
