// Which parser a body goes to, and the YAML size bound at its edge: the bound is for YAML (whose
// document tree takes far more memory than the data) and only for text past it.
import { describe, expect, it } from 'vitest'
import { detectFormat, parseDocument, yamlByteLimit } from '../../src/document/parse.js'

describe('detectFormat', () => {
  it('takes the file extension when the type says nothing, whatever the text looks like', () => {
    expect(detectFormat({ fileName: 'app.json' }, 'a: 1')).toBe('json')
    expect(detectFormat({ fileName: 'APP.JSON' }, 'a: 1')).toBe('json')
    expect(detectFormat({ fileName: 'app.yaml' }, '{"a": 1}')).toBe('yaml')
    expect(detectFormat({ fileName: 'app.yml' }, '{"a": 1}')).toBe('yaml')
  })

  it('does not take a name that only starts like an extension', () => {
    expect(detectFormat({ fileName: '.json.txt' }, 'a: 1')).toBe('yaml')
    expect(detectFormat({ fileName: '.yaml.txt' }, '{"a": 1}')).toBe('json')
  })

  it('goes by the first character when there is no type and no name', () => {
    expect(detectFormat({}, '\n {"a": 1}')).toBe('json')
    expect(detectFormat({}, 'a: 1')).toBe('yaml')
    expect(detectFormat({ contentType: 'text/plain', fileName: 'config' }, 'a: 1')).toBe('yaml')
  })
})

describe('the YAML size bound', () => {
  it('parses YAML of exactly the bound', async () => {
    const limit = yamlByteLimit()
    const head = 'a: 1\n# '
    const text = `${head}${'x'.repeat(limit - head.length)}`
    expect(Buffer.byteLength(text)).toBe(limit)
    expect(JSON.parse(JSON.stringify(await parseDocument(text, 'yaml', 'big.yml')))).toEqual({
      a: 1,
    })
  }, 60_000)

  it('does not apply to JSON, which is parsed without a document tree', async () => {
    const limit = yamlByteLimit()
    const text = `{"a": 1${' '.repeat(limit)}}`
    expect(Buffer.byteLength(text)).toBeGreaterThan(limit)
    expect(JSON.parse(JSON.stringify(await parseDocument(text, 'json', 'big.json')))).toEqual({
      a: 1,
    })
  }, 60_000)
})
