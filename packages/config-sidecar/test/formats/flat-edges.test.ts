// The flat view at its edges: keys that spell one path found at any depth (inside lists and
// objects), the refusal naming the first two such leaves, and documents that are no object.
import { describe, expect, it } from 'vitest'
import { isRefusal, renderFlat } from '../../src/formats/flat.js'

describe('refusing two keys that flatten to one path', () => {
  it('finds them inside a list', () => {
    expect(renderFlat({ list: [1, 'x', null, { 'a.b': 1, a: { b: 2 } }] })).toEqual({
      refused:
        'the keys ["list",3,"a.b"] and ["list",3,"a","b"] are both list[3].a.b in the flat view',
    })
    expect(renderFlat([[{ 'a[0]': 1, a: [2] }]])).toEqual({
      refused: 'the keys [0,0,"a[0]"] and [0,0,"a",0] are both [0][0].a[0] in the flat view',
    })
  })

  it('finds them inside a nested object', () => {
    expect(
      renderFlat({ outer: { plain: 'v', none: null, inner: { 'b.c': 1, b: { c: 2 } } } }),
    ).toEqual({
      refused:
        'the keys ["outer","inner","b.c"] and ["outer","inner","b","c"] are both outer.inner.b.c in the flat view',
    })
  })

  it('names the first repeated path and the first leaf that has it, wherever they are', () => {
    expect(
      renderFlat({ before: 'x', 'a.b': 1, a: { b: 2 }, 'c.d': 3, c: { d: 4 }, after: 'y' }),
    ).toEqual({ refused: 'the keys ["a.b"] and ["a","b"] are both a.b in the flat view' })
  })

  it('names the first repeated path when the repeats are items of one list', () => {
    expect(renderFlat({ 'x[0]': 1, 'x[1]': 2, x: [3, 4] })).toEqual({
      refused: 'the keys ["x[0]"] and ["x",0] are both x[0] in the flat view',
    })
  })

  it('renders keys holding dots or brackets when no other key spells their path', () => {
    expect(renderFlat({ 'a.b': 1, list: [{ 'c[0]': 2 }] })).toBe('{"a.b":1,"list[0].c[0]":2}')
  })
})

describe('documents that are not objects', () => {
  it('renders a lone scalar, null or list as leaves of the empty path and its indexes', () => {
    expect(renderFlat(null)).toBe('{"":null}')
    expect(renderFlat('text')).toBe('{"":"text"}')
    expect(renderFlat([1, [2]])).toBe('{"[0]":1,"[1][0]":2}')
  })

  it('tells a refusal from anything else', () => {
    expect(isRefusal(null)).toBe(false)
    expect(isRefusal(undefined)).toBe(false)
    expect(isRefusal('refused')).toBe(false)
    expect(isRefusal({ refused: 'x' })).toBe(true)
  })
})
