// The whole message and code of each refusal of parseDocument: an operator reads these in the log
// and in /health, so they name the file, what is wrong and where, and never quote the body.
import { describe, expect, it } from 'vitest'
import { parseDocument } from '../../src/document/parse.js'
import type { DocumentFormat } from '../../src/document/parse.js'
import { errorOf } from '../../../../test-support/sidecar-errors.js'

const WHERE = 'file:/etc/app/config'

/** The code and message a parse is refused with. */
async function refusal(
  text: string,
  format: DocumentFormat,
): Promise<{ code: string; message: string }> {
  const error = await errorOf(parseDocument(text, format, WHERE))
  return { code: error.code, message: error.message }
}

const invalid = (message: string): { code: string; message: string } => ({
  code: 'ERR_DOCUMENT_INVALID',
  message: `${WHERE}${message}`,
})

describe('a document that is not an object at the top level', () => {
  it.each([
    ['null', 'json', 'nothing'],
    ['[1, 2]', 'json', 'a list'],
    ['"text"', 'json', 'a string'],
    ['12', 'json', 'a number'],
    ['true', 'json', 'a boolean'],
    ['', 'yaml', 'nothing'],
    ['~', 'yaml', 'nothing'],
    ['# only a comment\n', 'yaml', 'nothing'],
    ['- a\n- b\n', 'yaml', 'a list'],
    ['plain text\n', 'yaml', 'a string'],
  ] as const)('%j (%s) is refused as %s', async (text, format, kind) => {
    expect(await refusal(text, format)).toEqual(
      invalid(` must hold an object at the top level (found ${kind})`),
    )
  })
})

describe('text that does not parse', () => {
  it('names the JSON position where it can, never the text around it', async () => {
    // A position of two digits: all of it is given.
    expect(await refusal('{"password":"hunter2" "b":2}', 'json')).toEqual(
      invalid(' is not valid JSON (at position 22)'),
    )
  })

  it('says only that the JSON is not valid when the parser gives no position', async () => {
    expect(await refusal('{"a":', 'json')).toEqual(invalid(' is not valid JSON'))
  })

  it("names the YAML parser's error code and where it is, never the parser's message", async () => {
    expect(await refusal('a: [1, 2', 'yaml')).toEqual(
      invalid(' is not valid YAML (BAD_INDENT at line 1, column 9)'),
    )
    expect(await refusal('a: 1\nb: @hunter2\n', 'yaml')).toEqual(
      invalid(' is not valid YAML (BAD_SCALAR_START at line 2, column 4)'),
    )
  })

  it('refuses a YAML alias bomb by its alias count', async () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
    ].join('\n')
    expect(await refusal(bomb, 'yaml')).toEqual(
      invalid(' is not valid YAML (more than 100 aliases: refused as an alias bomb)'),
    )
  })

  it('refuses an alias with no anchor before it as a mistake, not as an alias bomb', async () => {
    const expected = invalid(' is not valid YAML (an alias names no anchor set before it)')
    expect(await refusal('a: *nowhere\n', 'yaml')).toEqual(expected)
    expect(await refusal('b: *later\nlater: &later 1\n', 'yaml')).toEqual(expected)
    expect(await refusal('*nowhere : 1\n', 'yaml')).toEqual(expected)
  })

  it('still resolves a few aliases of anchors set before them', async () => {
    expect(
      JSON.parse(JSON.stringify(await parseDocument('a: &a 1\nb: *a\n', 'yaml', WHERE))),
    ).toEqual({ a: 1, b: 1 })
  })
})

describe('repeated keys', () => {
  it('in JSON: names the key and where, as JSON.parse would silently keep the last', async () => {
    expect(await refusal('{"a":1,"a":2}', 'json')).toEqual(
      invalid(': the key "a" is given twice at the top level; which one is meant is ambiguous'),
    )
    expect(await refusal('{"db":{"user":"u","user":"v"}}', 'json')).toEqual(
      invalid(': the key "user" is given twice at "db"; which one is meant is ambiguous'),
    )
  })

  it('in YAML: names the key and where, and that keys are compared as text', async () => {
    expect(await refusal('a: 1\n"a": 2\n', 'yaml')).toEqual(
      invalid(
        ': the key "a" is given twice at the top level (keys are compared as text: 1 and "1", ' +
          'true and "true" are the same key)',
      ),
    )
  })

  it('in a YAML !!omap: looks into the values of its pairs, naming them by their keys', async () => {
    expect(await refusal('db: !!omap\n  - first: {x: 1, x: 2}\n', 'yaml')).toEqual(
      invalid(
        ': the key "x" is given twice at "db.first" (keys are compared as text: 1 and "1", ' +
          'true and "true" are the same key)',
      ),
    )
  })

  it('an alias key that names no anchor counts as the empty key, as an empty key does', async () => {
    expect(await refusal('*nowhere : 1\n"": 2\n', 'yaml')).toEqual(
      invalid(
        ': the key "" is given twice at the top level (keys are compared as text: 1 and "1", ' +
          'true and "true" are the same key)',
      ),
    )
  })

  it('a YAML string holding JSON text with a repeated key is only text', async () => {
    const document = await parseDocument(`a: '{"k":1,"k":2}'\n`, 'yaml', WHERE)
    expect(document).toEqual({ a: '{"k":1,"k":2}' })
  })
})

describe('YAML keys that are lists or maps', () => {
  it('are refused, naming the top level', async () => {
    expect(await refusal('? [a, b]\n: 1\n', 'yaml')).toEqual(
      invalid(
        ': a key at the top level is a list or a map; keys must be text, numbers, booleans or null',
      ),
    )
  })

  it('are refused, naming the map they are in', async () => {
    expect(await refusal('outer:\n  ? {k: v}\n  : 1\n', 'yaml')).toEqual(
      invalid(
        ': a key at "outer" is a list or a map; keys must be text, numbers, booleans or null',
      ),
    )
  })
})
