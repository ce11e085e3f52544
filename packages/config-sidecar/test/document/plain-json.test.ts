// toPlainJson on its own: the size budget charged while a parsed document is copied (to the byte,
// at the limit), the nesting limit, copying versus making a JSON.parse result plain in place, the
// scalars JSON cannot hold, and YAML sets and ordered maps whose members or keys are not plain
// text. Values are built here as a YAML parser would hand them over.
import { describe, expect, it } from 'vitest'
import { toPlainJson } from '../../src/document/plain.js'
import { SidecarError } from '../../src/support/errors.js'
import { DOCUMENT_LIMITS } from '../../src/support/limits.js'

const WHERE = 'https://config.example/orders/cloud'
const PLENTY = 1024 * 1024
const SECRET = '{jwe}eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIiwia2lkIjoiayJ9..aXY.Y2lwaGVy.dGFn'

/** The SidecarError toPlainJson refuses `value` with. */
function refusal(value: unknown, maxBytes = PLENTY): SidecarError {
  try {
    toPlainJson(value, WHERE, maxBytes)
  } catch (error) {
    expect(error).toBeInstanceOf(SidecarError)
    return error as SidecarError
  }
  throw new Error('the value was accepted')
}

/** A list nested `levels` deep, the root counted as level 1. */
function nested(levels: number): unknown[] {
  let value: unknown[] = []
  for (let level = 1; level < levels; level += 1) value = [value]
  return value
}

describe('the size budget of the copy (a lower bound of its JSON)', () => {
  // The budget starts at 2 (the root's braces). A string is charged its length and its quotes, a
  // list its brackets and one byte an item, an object its braces and, per key, the key's length
  // with its quotes, colon and comma, and any other scalar one byte.
  it.each([
    ['a string', 'abcd', 8, '(the document)'],
    ['a list of numbers', [1, 2, 3], 10, '[2]'],
    ['an object', { ab: 1 }, 11, 'ab'],
    ['an object holding a string', { ab: 'xyz' }, 15, 'ab'],
  ])(
    '%s is accepted at its exact charge and refused one byte under it',
    (_what, value, bytes, at) => {
      expect(toPlainJson(value, WHERE, bytes)).toEqual(value)
      const error = refusal(value, bytes - 1)
      expect(error.code).toBe('ERR_DOCUMENT_TOO_LARGE')
      expect(error.message).toContain(`${WHERE} expands to more than ${bytes - 1} bytes`)
      expect(error.message).toContain(`the limit is passed at ${JSON.stringify(at)}`)
    },
  )
})

describe('nesting', () => {
  it(`accepts ${DOCUMENT_LIMITS.maxDepth} levels and refuses one more`, () => {
    expect(toPlainJson(nested(DOCUMENT_LIMITS.maxDepth), WHERE, PLENTY)).toEqual(
      nested(DOCUMENT_LIMITS.maxDepth),
    )
    const error = refusal(nested(DOCUMENT_LIMITS.maxDepth + 1))
    expect(error.code).toBe('ERR_DOCUMENT_INVALID')
    expect(error.message).toBe(`${WHERE} nests deeper than ${DOCUMENT_LIMITS.maxDepth} levels`)
  })
})

describe('copying or making plain in place', () => {
  it('copies by default, leaving the value it was given as it was', () => {
    const inner = { b: [1, 'two'] }
    const value = { a: inner }
    const plain = toPlainJson(value, WHERE, PLENTY) as Record<string, unknown>
    expect(plain).not.toBe(value)
    expect(plain['a']).not.toBe(inner)
    expect((plain['a'] as Record<string, unknown>)['b']).not.toBe(inner.b)
    expect(Object.getPrototypeOf(plain)).toBeNull()
    expect(Object.getPrototypeOf(plain['a'])).toBeNull()
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
    expect(Object.getPrototypeOf(inner)).toBe(Object.prototype)
    expect(JSON.parse(JSON.stringify(plain))).toEqual({ a: { b: [1, 'two'] } })
  })

  it('with inPlace, makes the same objects prototype-free rather than copying them', () => {
    const value = JSON.parse('{"a":{"b":[1,{"c":true}]}}') as { a: { b: [number, object] } }
    const { a } = value
    const list = a.b
    const plain = toPlainJson(value, WHERE, PLENTY, { inPlace: true })
    expect(plain).toBe(value)
    expect(value.a).toBe(a)
    expect(a.b).toBe(list)
    expect(Object.getPrototypeOf(value)).toBeNull()
    expect(Object.getPrototypeOf(a)).toBeNull()
    expect(Object.getPrototypeOf(list[1])).toBeNull()
  })

  it('with inPlace false, copies', () => {
    const value = { a: 1 }
    expect(toPlainJson(value, WHERE, PLENTY, { inPlace: false })).not.toBe(value)
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
  })
})

describe('scalars JSON cannot hold', () => {
  it.each([
    ['a bigint, as its decimal text', 12345678901234567890n, '12345678901234567890'],
    ['Infinity, as null', Number.POSITIVE_INFINITY, null],
    ['NaN, as null', Number.NaN, null],
    ['undefined, as null', undefined, null],
    ['a function, as null', () => 1, null],
    ['a symbol, as null', Symbol('s'), null],
  ])('turns %s', (_what, value, plain) => {
    expect(toPlainJson(value, WHERE, PLENTY)).toBe(plain)
    expect(toPlainJson([value], WHERE, PLENTY)).toEqual([plain])
  })

  it('keeps finite numbers, booleans and null', () => {
    expect(toPlainJson([1.5, -0, true, false, null], WHERE, PLENTY)).toEqual([
      1.5,
      -0,
      true,
      false,
      null,
    ])
  })

  it('refuses an object that is not JSON data, naming its class', () => {
    class Connection {
      readonly host = 'db'
    }
    for (const value of [new Connection(), /re/]) {
      const error = refusal({ db: value })
      expect(error.code).toBe('ERR_DOCUMENT_INVALID')
      expect(error.message).toBe(
        `${WHERE}: the value at "db" is not JSON data (a ${value.constructor.name} object)`,
      )
    }
  })
})

describe('YAML sets and ordered maps', () => {
  it('serves the keys of an ordered map as text, as Spring does', () => {
    const omap = new Map<unknown, unknown>([
      [null, 'null key'],
      ['name', 'text key'],
      [Number.NaN, 'NaN key'],
      [2.5, 'number key'],
      [true, 'boolean key'],
      [12345678901234567890n, 'bigint key'],
      [{ a: 1 }, 'map key'],
      [['x', 2], 'list key'],
    ])
    expect(JSON.parse(JSON.stringify(toPlainJson({ m: omap }, WHERE, PLENTY)))).toEqual({
      m: {
        '': 'null key',
        name: 'text key',
        NaN: 'NaN key',
        '2.5': 'number key',
        true: 'boolean key',
        '12345678901234567890': 'bigint key',
        '{"a":1}': 'map key',
        '["x",2]': 'list key',
      },
    })
  })

  it('serves an undefined or symbol key of an ordered map as the empty key', () => {
    for (const key of [undefined, Symbol('k')]) {
      expect({ ...(toPlainJson(new Map([[key, 1]]), WHERE, PLENTY) as object) }).toEqual({ '': 1 })
    }
  })

  it('refuses an ordered map whose keys are the same once they are text, naming the key', () => {
    const error = refusal({
      order: new Map<unknown, unknown>([
        [1, 'a'],
        ['1', 'b'],
      ]),
    })
    expect(error.code).toBe('ERR_DOCUMENT_INVALID')
    expect(error.message).toBe(`${WHERE}: the key "1" is given twice in the !!omap at "order"`)
  })

  it('serves a set holding null, lists, maps and timestamps', () => {
    const set = new Set<unknown>([null, 'a', ['b'], { c: 1 }, new Date(0)])
    expect(JSON.parse(JSON.stringify(toPlainJson({ s: set }, WHERE, PLENTY)))).toEqual({
      s: [null, 'a', ['b'], { c: 1 }, '1970-01-01T00:00:00.000Z'],
    })
  })

  it.each([
    ['the value of a map in a set', new Set([{ password: SECRET }])],
    ['the key of a map in a set', new Set([{ [SECRET]: 1 }])],
    ['a member of a list in a set', new Set([[null, SECRET]])],
    ['a key of an ordered map', new Map([[SECRET, 1]])],
  ])('refuses a secret as %s, saying where a secret must be', (_what, value) => {
    const error = refusal({ db: value })
    expect(error.code).toBe('ERR_DOCUMENT_INVALID')
    expect(error.message).toMatch(
      /^https:\/\/config\.example\/orders\/cloud: the YAML !!(set|omap) at "db" holds a \{jwe\} secret; a secret must be the value of a map key or a list item, where it has a key path$/,
    )
  })
})
