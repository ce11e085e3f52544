// The `.env` format: `KEY='value'` lines, the key the flat path in upper snake case (`a.b[0].c` is
// `A_B_0_C`), the value quoted so that `sh` (`set -a; . ./file`) and dotenv read it back exactly.
import { duplicatePaths, forEachLeaf, isRefusal, leafText } from './flat.js'
import type { RenderRefusal, Segment, TextSink } from './flat.js'

export interface EnvRender {
  readonly text: string
  /**
   * Paths whose value `sh` reads exactly but dotenv parsers may not: a value holding `'` together
   * with `"`, `\`, `$`, a backquote or a line break; one ending in `\`; one holding a carriage
   * return. No quoting reads the same in both there. Their lines come after every other line, so
   * that a dotenv parser misreading one never runs on into another value. (A line inside such a
   * value with a line break that looks like `NAME=…` is still read by dotenv as a variable.)
   */
  readonly shOnly: readonly string[]
}

/**
 * The variable name of a path: each key in upper snake case (`darkMode` is `DARK_MODE`, anything
 * but ASCII letters and digits becomes `_`), list indexes as digits, joined by `_`; a name that
 * would start with a digit (or be empty) gets a leading `_`.
 */
export function envName(segments: readonly Segment[]): string {
  const name = segments
    .map((segment) =>
      typeof segment === 'number'
        ? String(segment)
        : segment
            .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
            .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
            .replace(/[^A-Za-z0-9]/g, '_')
            .toUpperCase(),
    )
    .join('_')
  return name === '' || /^[0-9]/.test(name) ? `_${name}` : name
}

/**
 * `.env` text, or a refusal when two paths have the same variable name (`a.b` and `a_b` are both
 * `A_B`: neither would win silently) or a value holds a NUL character (no environment variable can).
 */
export function renderEnv(document: unknown): EnvRender | RenderRefusal {
  const parts: string[] = []
  const rendered = writeEnv(document, { push: (text) => parts.push(text) })
  return isRefusal(rendered) ? rendered : { text: parts.join(''), shOnly: rendered.shOnly }
}

/**
 * {@link renderEnv} written line by line to `sink`; on a refusal what was written is to be dropped.
 * Only the variable names are kept while it runs (the path of a name is found again if it repeats).
 */
export function writeEnv(
  document: unknown,
  sink: TextSink,
): { readonly shOnly: readonly string[] } | RenderRefusal {
  const duplicate = duplicatePaths(document)
  if (duplicate !== undefined) return duplicate
  const names = new Set<string>()
  const shOnly: string[] = []
  // The lines of the sh-only values, written last: a dotenv parser that misreads one may run on
  // into the lines after it.
  const shOnlyLines: string[] = []
  let refusal: RenderRefusal | undefined
  forEachLeaf(document, (path, segments, value) => {
    const name = envName(segments)
    if (names.has(name)) {
      refusal = {
        refused: `the keys ${firstPathNamed(document, name)} and ${path} are both ${name} in .env`,
      }
      return false
    }
    names.add(name)
    const text = leafText(value)
    if (text.includes('\0')) {
      refusal = { refused: `the value at ${path} holds a NUL character, which .env cannot hold` }
      return false
    }
    const quoted = quoteEnvValue(text)
    if (quoted.dotenv) {
      sink.push(`${name}=${quoted.text}\n`)
    } else {
      shOnly.push(path)
      shOnlyLines.push(`${name}=${quoted.text}\n`)
    }
    return true
  })
  if (refusal !== undefined) return refusal
  for (const line of shOnlyLines) sink.push(line)
  return { shOnly }
}

/** The path of the first leaf whose variable name is `name`. */
function firstPathNamed(document: unknown, name: string): string {
  let found = ''
  forEachLeaf(document, (path, segments) => {
    if (envName(segments) !== name) return true
    found = path
    return false
  })
  return found
}

/**
 * A value quoted for `sh` and dotenv. Single quotes keep everything as it is in both (line breaks
 * included); a value holding `'` goes in double quotes when nothing in it is special there (`$`,
 * a backquote, `\`, `"`, a line break); otherwise `sh`'s `'…'\''…'`, which dotenv does not read.
 */
export function quoteEnvValue(value: string): { text: string; dotenv: boolean } {
  const carriageReturn = value.includes('\r')
  if (!value.includes("'")) {
    // A last `\` goes outside the quotes (`'…'\\`): inside, dotenv reads `\'` as a quote kept in
    // the value and runs on into the next line.
    if (value.endsWith('\\')) return { text: `'${value.slice(0, -1)}'\\\\`, dotenv: false }
    return { text: `'${value}'`, dotenv: !carriageReturn }
  }
  if (!/["\\$`\n\r]/.test(value)) return { text: `"${value}"`, dotenv: true }
  return { text: `'${value.replaceAll("'", "'\\''")}'`, dotenv: false }
}
