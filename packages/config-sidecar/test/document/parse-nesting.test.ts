// YAML nesting is bounded from the lexer's tokens before the parser builds its tree (whose memory
// grows with the depth): open flow collections plus the `-` and `?` indicators on one line. These
// cases tell that early check from the later walk over the parsed value, which refuses the same
// depth with the same message: past the limit the lexer stops first, so a repeated key or a key that
// is a map deeper down is never reached; within it, nothing is refused for its shape alone.
import { describe, expect, it } from 'vitest'
import { parseDocument } from '../../src/document/parse.js'
import { DOCUMENT_LIMITS } from '../../src/support/limits.js'
import { errorOf } from '../../../../test-support/sidecar-errors.js'

const WHERE = 'file:/etc/app/config.yml'
const DEPTH = DOCUMENT_LIMITS.maxDepth
const TOO_DEEP = { code: 'ERR_DOCUMENT_INVALID', message: `${WHERE} nests deeper than 64 levels` }

async function refusal(text: string): Promise<{ code: string; message: string }> {
  const error = await errorOf(parseDocument(text, 'yaml', WHERE))
  return { code: error.code, message: error.message }
}

/** The parsed document as plain data, for comparing with toEqual. */
async function parsed(text: string): Promise<unknown> {
  return JSON.parse(JSON.stringify(await parseDocument(text, 'yaml', WHERE)))
}

describe('YAML nested past the limit is refused before it is parsed', () => {
  it('by its open flow lists', async () => {
    expect(DEPTH).toBe(64)
    const text = `${'['.repeat(DEPTH)}{a: 1, a: 2}${']'.repeat(DEPTH)}`
    expect(await refusal(text)).toEqual(TOO_DEEP)
  })

  it('by its open flow maps', async () => {
    const text = `${'{a: '.repeat(DEPTH)}{b: 1, b: 2}${'}'.repeat(DEPTH)}`
    expect(await refusal(text)).toEqual(TOO_DEEP)
  })

  it('by the list indicators on one line, with the flow collections open on it', async () => {
    const text = `x:\n  ${'- '.repeat(DEPTH)}{a: 1, a: 2}\n`
    expect(await refusal(text)).toEqual(TOO_DEEP)
  })

  it('by the explicit key indicators on one line', async () => {
    // Each `?` opens a map whose key is the next map: past the limit before any key is looked at.
    expect(await refusal(`${'? '.repeat(DEPTH + 1)}a\n`)).toEqual(TOO_DEEP)
  })

  it('even after a stray closing bracket, which closes nothing', async () => {
    expect(await refusal(`]\n${'- '.repeat(DEPTH + 1)}a\n`)).toEqual(TOO_DEEP)
  })
})

describe('YAML within the limit is not refused for its shape', () => {
  it('flow lists open exactly to the limit', async () => {
    // A list at the top level: refused for that, after the depth was found acceptable.
    expect(await refusal(`${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`)).toEqual({
      code: 'ERR_DOCUMENT_INVALID',
      message: `${WHERE} must hold an object at the top level (found a list)`,
    })
  })

  it('many flow lists and maps side by side, each closed before the next', async () => {
    const count = DEPTH + 6
    const lists = Array.from({ length: count }, () => '[]').join(', ')
    expect(await parsed(`x: [${lists}]\n`)).toEqual({ x: Array.from({ length: count }, () => []) })
    const maps = Array.from({ length: count }, (_, i) => `k${i}: {}`).join(', ')
    const expected = Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, {}]))
    expect(await parsed(`x: {${maps}}\n`)).toEqual({ x: expected })
  })

  it('many explicit keys in one flow map on one line', async () => {
    const count = DEPTH + 6
    const pairs = Array.from({ length: count }, (_, i) => `? k${i} : ${i}`).join(', ')
    const expected = Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, i]))
    expect(await parsed(`x: {${pairs}}\n`)).toEqual({ x: expected })
  })

  it.each([
    ['\n', 'LF'],
    ['\r\n', 'CRLF'],
  ])('a long block list, one item a line (%#: %s)', async (eol) => {
    const count = DEPTH + 6
    const items = Array.from({ length: count }, (_, i) => `  - item${i}${eol}`).join('')
    expect(await parsed(`x:${eol}${items}`)).toEqual({
      x: Array.from({ length: count }, (_, i) => `item${i}`),
    })
  })
})
