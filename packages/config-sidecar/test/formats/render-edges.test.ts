// One entry for every format: the rendered text, its media type and notes, the same as bytes, and
// the refusals of each format passed on whole.
import { describe, expect, it } from 'vitest'
import { renderEnv } from '../../src/formats/env.js'
import { renderFlat } from '../../src/formats/flat.js'
import { renderProperties } from '../../src/formats/properties.js'
import { CONTENT_TYPES, renderFormat, renderFormatBytes } from '../../src/formats/render.js'
import { renderYaml } from '../../src/formats/yaml.js'
import type { Format } from '../../src/settings/formats.js'

const FORMATS: readonly Format[] = ['json', 'flat', 'properties', 'yaml', 'env']

const document = { greeting: 'Hello world', list: [1, { inner: true }], shell: `it's "$HOME"` }

/** Each format's renderer called on its own, as the text every entry must give. */
const expectedText: Record<Format, (value: unknown) => string> = {
  json: (value) => JSON.stringify(value),
  flat: (value) => renderFlat(value) as string,
  properties: (value) => renderProperties(value) as string,
  yaml: (value) => renderYaml(value),
  env: (value) => (renderEnv(value) as { text: string }).text,
}

describe('renderFormat', () => {
  it("gives each format's text and media type, with notes for .env only", () => {
    for (const format of FORMATS) {
      expect(renderFormat(document, format), format).toEqual({
        text: expectedText[format](document),
        contentType: CONTENT_TYPES[format],
        notes: format === 'env' ? ['shell'] : [],
      })
    }
  })

  it('passes on the refusal of each format that cannot hold the document', () => {
    const ambiguous = { 'a.b': 1, a: { b: 2 } }
    const refusal = { refused: 'the keys ["a.b"] and ["a","b"] are both a.b in the flat view' }
    expect(renderFormat(ambiguous, 'flat')).toEqual(refusal)
    expect(renderFormat(ambiguous, 'properties')).toEqual(refusal)
    expect(renderFormat(ambiguous, 'env')).toEqual(refusal)
    expect(renderFormat({ a_b: 1, aB: 2 }, 'env')).toEqual({
      refused: 'the keys a_b and aB are both A_B in .env',
    })
  })
})

describe('renderFormatBytes', () => {
  it('gives the UTF-8 bytes of the same text, media type and notes as renderFormat', () => {
    for (const format of FORMATS) {
      const bytes = renderFormatBytes(document, format)
      if ('refused' in bytes) throw new Error(bytes.refused)
      expect(bytes.body.toString('utf8'), format).toBe(expectedText[format](document))
      expect(bytes.contentType, format).toBe(CONTENT_TYPES[format])
      expect(bytes.notes, format).toEqual(format === 'env' ? ['shell'] : [])
    }
  })

  it('gives the same bytes for a document written in many chunks', () => {
    // Lines of every length, multi-byte characters included, past several chunks of 64 KiB.
    const large: Record<string, string> = {}
    for (let i = 0; i < 3000; i += 1) large[`key${i}`] = `é😀${'x'.repeat(i % 97)}`
    for (const format of FORMATS) {
      const bytes = renderFormatBytes(large, format)
      if ('refused' in bytes) throw new Error(bytes.refused)
      expect(bytes.body.equals(Buffer.from(expectedText[format](large), 'utf8')), format).toBe(true)
    }
  })

  it('passes on the refusal of each format that cannot hold the document', () => {
    const ambiguous = { list: [{ 'a.b': 1, a: { b: 2 } }] }
    const refusal = {
      refused:
        'the keys ["list",0,"a.b"] and ["list",0,"a","b"] are both list[0].a.b in the flat view',
    }
    expect(renderFormatBytes(ambiguous, 'flat')).toEqual(refusal)
    expect(renderFormatBytes(ambiguous, 'properties')).toEqual(refusal)
    expect(renderFormatBytes(ambiguous, 'env')).toEqual(refusal)
    expect(renderFormatBytes({ value: 'a\0b' }, 'env')).toEqual({
      refused: 'the value at value holds a NUL character, which .env cannot hold',
    })
  })
})
