// The bounded measures of a document's size: the JSON bytes of one scalar, the running budget that
// refuses a document being built as soon as it passes the limit, and the exact size of the served
// JSON, refused at the first key past the limit. Also, through prepareConfig, a YAML document
// whose copy stays under the budget's lower bound but whose JSON does not.
import { describe, expect, it } from 'vitest'
import { prepareConfig } from '../../src/document/prepare.js'
import { measureJson, scalarSize, SizeBudget } from '../../src/document/size.js'
import { SidecarError } from '../../src/support/errors.js'
import { DOCUMENT_LIMITS } from '../../src/support/limits.js'

const WHERE = 'https://config.example/orders/cloud'

/** The bytes JSON.stringify writes for `value`. */
const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value))

/** The SidecarError `run` throws. */
function refusal(run: () => unknown): SidecarError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(SidecarError)
    return error as SidecarError
  }
  throw new Error('it was accepted')
}

describe('scalarSize: the JSON bytes of one scalar', () => {
  it.each([
    ['plain text', 'ab', 4],
    ['empty text', '', 2],
    ['text with a quote and a backslash', 'a"b\\', 8],
    ['text with a control character', 'a\u0001', 9],
    ['text beyond ASCII', 'é😀', 8],
    ['an integer', 12345, 5],
    ['a negative fraction', -1.25, 5],
    ['a large number', 1e21, 5],
    ['Infinity (written as null)', Number.POSITIVE_INFINITY, 4],
    ['true', true, 4],
    ['false', false, 5],
    ['null', null, 4],
    ['undefined (written as null in a list)', undefined, 4],
  ])('%s', (_what, value, bytes) => {
    expect(scalarSize(value)).toBe(bytes)
  })

  it('measures anything else by its JSON, and a value JSON skips as null', () => {
    expect(scalarSize(new Date(0))).toBe(jsonBytes(new Date(0)))
    expect(scalarSize({ a: 'é' })).toBe(jsonBytes({ a: 'é' }))
    expect(scalarSize(Symbol('s'))).toBe(4)
    expect(scalarSize(() => 1)).toBe(4)
  })
})

describe('SizeBudget', () => {
  it('starts at the root braces, adds each charge, and refuses past the limit, not at it', () => {
    const budget = new SizeBudget(10, WHERE)
    expect(budget.spent).toBe(2)
    budget.charge(3, () => 'a')
    expect(budget.spent).toBe(5)
    budget.charge(5, () => 'b')
    expect(budget.spent).toBe(10)
    const error = refusal(() => budget.charge(1, () => '"c"'))
    expect(error.code).toBe('ERR_DOCUMENT_TOO_LARGE')
    expect(error.message).toBe(
      `${WHERE} expands to more than 10 bytes (at most 4× the bytes fetched, and ` +
        `${DOCUMENT_LIMITS.maxBytes} in all); the limit is passed at "c"`,
    )
  })
})

describe('measureJson: the exact size of the JSON', () => {
  const documents: [string, unknown][] = [
    ['a scalar', 'text'],
    ['an empty object', {}],
    ['an empty list', []],
    ['a list of scalars', [1, 'two', true, false, null, -0.5]],
    ['nested lists and objects', { a: [[], {}, [{ b: [1, 2] }]], 'c"d': { e: 'f\n' } }],
    ['text beyond ASCII and escapes', { ключ: 'значение', tab: '\t', quote: '"' }],
    ['many keys', Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i]))],
  ]

  it.each(documents)('measures %s as JSON.stringify writes it', (_what, value) => {
    expect(measureJson(value, DOCUMENT_LIMITS.maxBytes, WHERE)).toBe(jsonBytes(value))
  })

  it('skips keys whose value is undefined and counts list holes as null, as JSON does', () => {
    const withUndefined = { a: 1, gone: undefined, b: { only: undefined } }
    expect(measureJson(withUndefined, 1000, WHERE)).toBe(jsonBytes(withUndefined))
    const holes: unknown[] = [1]
    holes[3] = 'x'
    expect(measureJson({ l: holes }, 1000, WHERE)).toBe(jsonBytes({ l: holes }))
    expect(measureJson([undefined, 0, ''], 1000, WHERE)).toBe(jsonBytes([undefined, 0, '']))
  })

  it('counts a shared node every time it appears', () => {
    const shared = { x: 'yyyy' }
    const value = { a: shared, b: shared, c: [shared, shared] }
    expect(measureJson(value, 1000, WHERE)).toBe(jsonBytes(value))
  })

  it.each(documents)('accepts %s at its exact size and refuses it one byte under', (_w, value) => {
    const bytes = jsonBytes(value)
    expect(measureJson(value, bytes, WHERE)).toBe(bytes)
    const error = refusal(() => measureJson(value, bytes - 1, WHERE))
    expect(error.code).toBe('ERR_DOCUMENT_TOO_LARGE')
    expect(error.message).toContain(`${WHERE} expands to more than ${bytes - 1} bytes`)
  })

  it.each([
    ['a scalar root', 'abcdef', 3, '(the document)'],
    ['a key', { a: 'x'.repeat(50) }, 20, 'a'],
    ['a list item', { list: ['x'.repeat(10), 'y'.repeat(50)] }, 40, 'list[1]'],
    ['a key in a list', { list: [{ deep: 'x'.repeat(50) }] }, 40, 'list[0].deep'],
  ])('names the path where %s passes the limit', (_what, value, limit, at) => {
    const error = refusal(() => measureJson(value, limit, WHERE))
    expect(error.message.endsWith(`; the limit is passed at ${JSON.stringify(at)}`)).toBe(true)
  })
})

describe('the served JSON is measured exactly, past the lower bound charged while parsing', () => {
  it('refuses YAML aliases of escaped text whose JSON passes four times the bytes fetched', async () => {
    // Each "\0" is 2 bytes of YAML, 1 character as parsed (and charged), 6 bytes of JSON: three
    // copies stay under the budget but take 18 bytes of JSON per 2 bytes fetched.
    const text = `a: &x "${'\\0'.repeat(2000)}"\nb: [*x, *x]\n`
    const limit = 4 * Buffer.byteLength(text) + 1024
    let error: unknown
    try {
      await prepareConfig(
        { documents: [{ body: Buffer.from(text), contentType: 'application/yaml' }] },
        { where: WHERE, decryptor: undefined, previous: new Map(), version: undefined },
      )
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(SidecarError)
    expect((error as SidecarError).code).toBe('ERR_DOCUMENT_TOO_LARGE')
    expect((error as SidecarError).message).toContain(`expands to more than ${limit} bytes`)
    expect((error as SidecarError).message).toMatch(/the limit is passed at "b\[0\]"$/)
  })
})
