// deepMerge copies what it takes: lists and objects of the source are new, prototype-free values
// in the target, so changing the source afterwards changes nothing merged.
import { describe, expect, it } from 'vitest'
import { copy, deepMerge, newRecord } from '../../src/document/record.js'

describe('copy and deepMerge', () => {
  it('copy makes new lists and prototype-free objects at every depth', () => {
    const source = { list: [{ a: 1 }], object: { b: [2] } }
    const copied = copy(source) as typeof source
    expect(copied).not.toBe(source)
    expect(Object.getPrototypeOf(copied)).toBeNull()
    expect(copied.list).not.toBe(source.list)
    expect(Object.getPrototypeOf(copied.list[0])).toBeNull()
    expect(copied.object.b).not.toBe(source.object.b)
    expect(JSON.stringify(copied)).toBe(JSON.stringify(source))
  })

  it('deepMerge takes copies, so later changes to the source do not reach the target', () => {
    const source = { list: [{ a: 1 }], object: { b: 1 } }
    const target = deepMerge(newRecord(), source)
    source.list[0]!.a = 2
    source.list.push({ a: 3 })
    source.object.b = 2
    expect(JSON.parse(JSON.stringify(target))).toEqual({ list: [{ a: 1 }], object: { b: 1 } })
  })
})
