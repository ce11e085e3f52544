// Edges of Spring property keys (spring-keys.ts): quotes around a map key are dropped only when they
// enclose the whole bracket, a segment is written back bracketed exactly when it would not read back
// as one plain name, and the refusals name the key.
import { describe, expect, it } from 'vitest'
import { formatPropertyKey, parsePropertyKey } from '../../src/document/spring.js'
import { SidecarError } from '../../src/support/errors.js'

function refusal(key: string): SidecarError {
  try {
    parsePropertyKey(key, 'cfg')
  } catch (error) {
    expect(error).toBeInstanceOf(SidecarError)
    return error as SidecarError
  }
  throw new Error(`expected ${key} to be refused`)
}

describe('parsePropertyKey', () => {
  it('drops the quotes of a map key only when they enclose the whole bracket', () => {
    expect(parsePropertyKey(`m['x.y']`, 'cfg')).toEqual(['m', 'x.y'])
    expect(parsePropertyKey(`m["x"]`, 'cfg')).toEqual(['m', 'x'])
    expect(parsePropertyKey(`m[a'b']`, 'cfg')).toEqual(['m', `a'b'`])
    expect(parsePropertyKey(`m['a'b]`, 'cfg')).toEqual(['m', `'a'b`])
    expect(parsePropertyKey(`m['a"]`, 'cfg')).toEqual(['m', `'a"`])
  })

  it('refuses an unclosed bracket and an empty key, naming where', () => {
    const unclosed = refusal('a.b[c')
    expect(unclosed.code).toBe('ERR_DOCUMENT_INVALID')
    expect(unclosed.message).toBe('cfg: property key "a.b[c" has an unclosed [')
    const empty = refusal('..')
    expect(empty.code).toBe('ERR_DOCUMENT_INVALID')
    expect(empty.message).toBe('cfg: a property key is empty')
  })
})

describe('formatPropertyKey', () => {
  it('writes names dotted and indexes bracketed', () => {
    expect(formatPropertyKey(['a', 'b', 0, 'c', 12])).toBe('a.b[0].c[12]')
    expect(formatPropertyKey([3, 'x'])).toBe('[3].x')
  })

  it('brackets a name that is empty, holds . [ or ], or is all digits, and no other', () => {
    expect(formatPropertyKey(['m', ''])).toBe('m[]')
    expect(formatPropertyKey(['m', 'x.y'])).toBe('m[x.y]')
    expect(formatPropertyKey(['m', 'a[b'])).toBe('m[a[b]')
    expect(formatPropertyKey(['m', 'a]b'])).toBe('m[a]b]')
    expect(formatPropertyKey(['m', '12'])).toBe('m[12]')
    expect(formatPropertyKey(['m', '7'])).toBe('m[7]')
    expect(formatPropertyKey(['m', 'a1', '1a', 'a1b', 'Stryker was here!'])).toBe(
      'm.a1.1a.a1b.Stryker was here!',
    )
  })

  it('writes back a key that parses to the same segments', () => {
    for (const segments of [
      ['a', 'x.y', 0, 'b'],
      ['l', 2, 3],
      ['m', 'a1', 'k'],
    ]) {
      expect(parsePropertyKey(formatPropertyKey(segments), 'cfg')).toEqual(segments)
    }
  })
})
