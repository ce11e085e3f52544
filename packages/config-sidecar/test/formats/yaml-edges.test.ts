// The `.yaml` format at its edges: a list at the top, values JSON leaves out or writes as null, the
// exact escapes of characters YAML does not print, and the longest key still written implicitly.
import { parse } from 'yaml'
import { describe, expect, it } from 'vitest'
import { renderYaml } from '../../src/formats/yaml.js'

const read = (text: string, version: '1.1' | '1.2'): unknown =>
  parse(text, { version, uniqueKeys: true })

describe('renderYaml at the edges', () => {
  it('writes a list at the top as a block sequence', () => {
    expect(renderYaml(['a', { b: 1, c: [2] }, []])).toBe(
      ['- a', '- b: 1', '  c:', '    - 2', '- []', ''].join('\n'),
    )
  })

  it('normalises values as the served JSON has them', () => {
    const document = {
      gone: undefined,
      kept: 1,
      holes: [undefined],
      emptied: { gone: undefined },
      numbers: [Number.NaN, Infinity],
    }
    const text = renderYaml(document)
    expect(text).toBe(
      ['kept: 1', 'holes:', '  - null', 'emptied: {}', 'numbers:', '  - null', '  - null', ''].join(
        '\n',
      ),
    )
    expect(read(text, '1.2')).toEqual(JSON.parse(JSON.stringify(document)))
    // A document with no text of its own is null, as its one leaf is in the flat view.
    expect(renderYaml(undefined)).toBe('null\n')
  })

  it('escapes characters YAML does not print as \\xXX or \\uXXXX, upper case', () => {
    const value = '\u0001\u001f\u007f\u0080\u009f\u00a0\ufeff\ufffe\uffff'
    const text = renderYaml({ value })
    expect(text).toBe('value: "\\x01\\x1F\\x7F\\x80\\x9F\u00a0\\uFEFF\\uFFFE\\uFFFF"\n')
    expect(read(text, '1.2')).toEqual({ value })
    expect(read(text, '1.1')).toEqual({ value })
  })

  it('writes a key of 1000 characters implicitly and a longer one explicitly', () => {
    const limit = 'k'.repeat(1000)
    const over = 'k'.repeat(1001)
    const text = renderYaml({ [limit]: 1, [over]: 2 })
    expect(text).toBe(`${limit}: 1\n? ${over}\n: 2\n`)
    expect(read(text, '1.2')).toEqual({ [limit]: 1, [over]: 2 })
  })
})
