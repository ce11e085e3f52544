// Paths on their own: list indexes of more than one digit, the empty path as shown in a message,
// and long keys cut short at 120 characters.
import { describe, expect, it } from 'vitest'
import { formatPath, showKey, valueAtPath } from '../../src/document/path.js'

describe('valueAtPath', () => {
  it('reads list indexes of several digits', () => {
    const list = Array.from({ length: 12 }, (_, index) => index * 10)
    expect(valueAtPath({ list }, ['list', '11'])).toBe(110)
    expect(valueAtPath({ list }, ['list', '1x'])).toBeUndefined()
  })
})

describe('formatPath', () => {
  it('shows the empty path as the document', () => {
    expect(formatPath([])).toBe('(the document)')
    expect(formatPath(['a', 0, 'b'])).toBe('a[0].b')
  })
})

describe('showKey', () => {
  it('quotes a key of 120 characters whole and cuts a longer one, saying its length', () => {
    const at = 'k'.repeat(120)
    expect(showKey(at)).toBe(JSON.stringify(at))
    expect(showKey(`${at}zz`)).toBe(JSON.stringify(`${at}…(122 chars)`))
  })
})
