// The `.env` format at its edges: the empty name, and refusals naming the first clash or NUL
// character found, with the first path that has the name wherever it is in the document.
import { describe, expect, it } from 'vitest'
import { envName, renderEnv } from '../../src/formats/env.js'

describe('renderEnv at the edges', () => {
  it('names an empty key, or a document that is one leaf, `_`', () => {
    expect(envName([''])).toBe('_')
    expect(envName([])).toBe('_')
    expect(renderEnv({ '': 'x' })).toEqual({ text: "_='x'\n", shOnly: [] })
  })

  it('names the first path that has a clashing name, wherever it is', () => {
    expect(renderEnv({ first: 1, list: [0], darkMode: 2, dark_mode: 3 })).toEqual({
      refused: 'the keys darkMode and dark_mode are both DARK_MODE in .env',
    })
  })

  it('refuses at the first clash, not a later one', () => {
    expect(renderEnv({ a_b: 1, aB: 2, c_d: 3, cD: 4 })).toEqual({
      refused: 'the keys a_b and aB are both A_B in .env',
    })
  })

  it('refuses at the first clash when the clashes are items of one list', () => {
    expect(renderEnv({ list_0: 1, list_1: 2, list: [3, 4] })).toEqual({
      refused: 'the keys list_0 and list[0] are both LIST_0 in .env',
    })
  })

  it('refuses at the first NUL character, not a later one', () => {
    expect(renderEnv({ one: 'a\0', two: 'b\0' })).toEqual({
      refused: 'the value at one holds a NUL character, which .env cannot hold',
    })
    expect(renderEnv({ one: 'a\0', two: 1, TWO: 2 })).toEqual({
      refused: 'the value at one holds a NUL character, which .env cannot hold',
    })
  })
})
