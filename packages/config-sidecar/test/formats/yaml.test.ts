// The `.yaml` format: what a YAML parser reads from it is the served document, for every generated
// document; checked with the `yaml` package as a YAML 1.2 parser and as a YAML 1.1 one (the version
// SnakeYAML, Spring's parser, and PyYAML read).
import fc from 'fast-check'
import { parse } from 'yaml'
import { describe, expect, it } from 'vitest'
import { renderYaml } from '../../src/formats/yaml.js'
import { documentOf, served } from '../../../../test-support/arbitraries.js'

const read = (text: string, version: '1.1' | '1.2'): unknown =>
  parse(text, { version, uniqueKeys: true, maxAliasCount: -1 })

describe('renderYaml', () => {
  it('writes the nested document in block style, quoting only what needs it', () => {
    expect(
      renderYaml({
        greeting: 'Hello world',
        features: { darkMode: true, limit: 600, ratio: 0.5, none: null },
        backends: [{ name: 'orders', url: 'https://orders.example' }, ['a', 'b'], []],
        empty: {},
        tricky: ['yes', '123', '', 'a: b', 'line\nbreak', 'é'],
      }),
    ).toBe(
      [
        'greeting: Hello world',
        'features:',
        '  darkMode: true',
        '  limit: 600',
        '  ratio: 0.5',
        '  none: null',
        'backends:',
        '  - name: orders',
        '    url: "https://orders.example"',
        '  - - a',
        '    - b',
        '  - []',
        'empty: {}',
        'tricky:',
        '  - "yes"',
        '  - "123"',
        '  - ""',
        '  - "a: b"',
        '  - "line\\nbreak"',
        '  - "é"',
        '',
      ].join('\n'),
    )
    expect(renderYaml({})).toBe('{}\n')
  })

  it('quotes the words YAML 1.1 reads as booleans or null, keys included', () => {
    const document = { n: 'on', y: 'Off', no: 'NULL', true: 'y' }
    expect(renderYaml(document)).toBe('"n": "on"\n"y": "Off"\n"no": "NULL"\n"true": "y"\n')
    expect(read(renderYaml(document), '1.1')).toEqual(document)
  })

  it('writes a key longer than an implicit key may be as an explicit one', () => {
    const long = 'k'.repeat(2000)
    const document = { [long]: 'value', list: [{ [long]: { inner: [1] } }] }
    expect(renderYaml(document)).toContain(`? ${long}\n: value\n`)
    expect(read(renderYaml(document), '1.2')).toEqual(document)
    expect(read(renderYaml(document), '1.1')).toEqual(document)
  })

  for (const version of ['1.2', '1.1'] as const) {
    it(`round-trips: a YAML ${version} parser reads the served document exactly`, () => {
      fc.assert(
        fc.property(documentOf(), (document) => {
          expect(read(renderYaml(document), version)).toEqual(served(document))
        }),
        { numRuns: 400 },
      )
    })
  }
})
