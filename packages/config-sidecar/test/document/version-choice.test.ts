// Which upstream version is served: an empty one is skipped without a notice, and a refused one
// says whether it held a control character or a character outside printable ASCII.
import { describe, expect, it } from 'vitest'
import { chooseVersion, versionProblem } from '../../src/document/version.js'

describe('versionProblem', () => {
  it('tells a control character from a character outside printable ASCII', () => {
    expect(versionProblem('v1\r\nx')).toBe('holds a control character (CR, LF or another)')
    expect(versionProblem('v1\x7f')).toBe('holds a control character (CR, LF or another)')
    expect(versionProblem('v1-é')).toBe('holds a character outside printable ASCII')
    expect(versionProblem('v1')).toBeUndefined()
  })
})

describe('chooseVersion', () => {
  it('skips an empty version without a notice', () => {
    const notices: string[] = []
    const version = chooseVersion(
      [
        { from: 'the header', version: '' },
        { from: 'the environment', version: 'abc' },
      ],
      () => 'hash',
      notices,
    )
    expect(version).toBe('abc')
    expect(notices).toEqual([])
  })
})
