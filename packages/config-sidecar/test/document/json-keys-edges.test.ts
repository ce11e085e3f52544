// Edges of finding a repeated key in JSON text (json-keys.ts): after a closed list, inside lists,
// around strings that hold structural characters, and for documents that are not objects.
import { describe, expect, it } from 'vitest'
import { findDuplicateJsonKey } from '../../src/document/json-keys.js'

describe('findDuplicateJsonKey', () => {
  it('finds a key repeated after a list value in the same object', () => {
    expect(findDuplicateJsonKey('{"l":[1,[2]],"l":2}')).toEqual(['l'])
    expect(findDuplicateJsonKey('{"a":{"l":[1],"m":[],"l":0}}')).toEqual(['a', 'l'])
  })

  it('gives the path through lists and objects to the repeated key', () => {
    expect(findDuplicateJsonKey('{"x":[{},{"k":1,"k":2}]}')).toEqual(['x', 1, 'k'])
    expect(findDuplicateJsonKey('[1,"a,b",{"k":"]","k":0}]')).toEqual([2, 'k'])
  })

  it('does not take string values or list elements for keys', () => {
    expect(findDuplicateJsonKey('{"a":"a","b":["a","a"],"c":"b"}')).toBeUndefined()
    expect(findDuplicateJsonKey('{"a":"x\\"y","b":"\\\\"}')).toBeUndefined()
  })

  it('compares keys as JSON.parse decodes them', () => {
    expect(findDuplicateJsonKey('{"a":1,"\\u0061":2}')).toEqual(['a'])
  })

  it('finds nothing in a document that is a single string, number or list', () => {
    expect(findDuplicateJsonKey('"abc"')).toBeUndefined()
    expect(findDuplicateJsonKey('12')).toBeUndefined()
    expect(findDuplicateJsonKey('["a","a"]')).toBeUndefined()
  })
})
