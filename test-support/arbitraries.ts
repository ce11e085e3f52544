// Generated documents for the renderers' round trips: values full of what formats must escape
// (quotes, `=`, `:`, `#`, `$`, backslashes, line breaks, non-ASCII, empty strings), numbers,
// booleans, null, and lists and objects nested in each other, under keys that are just as hostile.
import fc from 'fast-check'

/** Characters each format treats specially somewhere. */
const HOSTILE = [
  ...[' ', '  ', '"', "'", '=', ':', '#', '!', '$', '\\', '`', '\n', '\r', '\t', '\f', '\v'],
  ...['{', '}', '[', ']', ',', '&', '*', '?', '|', '-', '<', '>', '%', '@', '~', '.', '/'],
  ...['é', 'ß', 'Ω', '日本', '😀', '\u00a0', '\u0085', '\u2028', '\u2029', '\ufeff', '\u007f'],
  ...['\u0001', '\u001b', '${HOME}', '$(id)', "'\\''", '\\n', '\\u0041', '---', '...', '- '],
]

/** Whole strings that some parser reads as something else than a string when unquoted. */
const LOOKALIKES = [
  ...['', ' ', 'true', 'false', 'True', 'yes', 'No', 'on', 'OFF', 'y', 'n', 'null', 'Null', '~'],
  ...['123', '-1', '0o17', '0x1F', '1e3', '1_000', '.5', '.inf', '-.Inf', '.NaN', '12:30:00'],
  ...['2001-12-14', '=', '<<', '@x', '`x`', '!tag', '&anchor', '*alias', '%YAML', '# c', 'a: b'],
  ...['a #b', ' lead', 'trail ', 'end\\', "it's", 'say "hi"', 'both \' and "', 'C:\\path\\'],
]

const hostileUnit = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
)

/** A string, NUL characters included unless `noNul`. */
export function text(options: { noNul?: boolean | undefined } = {}): fc.Arbitrary<string> {
  const generated = fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: hostileUnit, maxLength: 12 }) },
    { weight: 2, arbitrary: fc.constantFrom(...LOOKALIKES) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  )
  return options.noNul === true ? generated.map((value) => value.replaceAll('\0', '')) : generated
}

export const scalar = (options: { noNul?: boolean | undefined } = {}): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 6, arbitrary: text(options) },
    { weight: 1, arbitrary: fc.integer() },
    { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
    { weight: 1, arbitrary: fc.constantFrom(0, 1, -1, 2 ** 53, 1e21, 5e-7, 0.1, -0) },
    { weight: 1, arbitrary: fc.boolean() },
    { weight: 1, arbitrary: fc.constant(null) },
  )

/** Object keys: mostly plain words, often hostile, sometimes names that mean something to JS. */
export function key(
  options: { noNul?: boolean | undefined; plain?: boolean | undefined } = {},
): fc.Arbitrary<string> {
  const word = fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,7}$/)
  if (options.plain === true) return word
  return fc.oneof(
    { weight: 4, arbitrary: word },
    { weight: 2, arbitrary: text(options).filter((value) => value.length <= 12) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'a.b', 'a[0]'),
    },
  )
}

/**
 * A config document: an object whose values are scalars, lists and objects, nested (lists of
 * objects included), empty lists and objects too.
 */
export function documentOf(options: { noNul?: boolean; plainKeys?: boolean } = {}) {
  const keys = key({ noNul: options.noNul, plain: options.plainKeys })
  const tree = fc.letrec<{ node: unknown; list: unknown[]; map: Record<string, unknown> }>(
    (tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        { weight: 4, arbitrary: scalar(options) },
        { weight: 1, arbitrary: tie('list') },
        { weight: 1, arbitrary: tie('map') },
      ),
      list: fc.array(tie('node'), { maxLength: 4 }),
      map: fc.dictionary(keys, tie('node'), { maxKeys: 4, noNullPrototype: true }),
    }),
  )
  return fc.dictionary(keys, tree.node, { maxKeys: 6, noNullPrototype: true })
}

/** The document as `/config/` serves it: its JSON, read back. */
export const served = (document: unknown): unknown => JSON.parse(JSON.stringify(document))
