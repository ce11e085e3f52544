// The `.properties` format: one `key=value` line per leaf, the key its flat path, escaped as
// java.util.Properties.store escapes (so Properties.load reads every key and value back exactly).
import { duplicatePaths, forEachLeaf, leafText } from './flat.js'
import type { RenderRefusal, TextSink } from './flat.js'

/**
 * Java properties text. Everything outside printable ASCII is written as `\uXXXX` (one escape per
 * UTF-16 unit, as `Properties.store` does), so the file is plain ASCII: `Properties.load` reads it
 * the same from an InputStream (ISO-8859-1) and from a UTF-8 Reader, and so does Spring.
 */
export function renderProperties(document: unknown): string | RenderRefusal {
  const parts: string[] = []
  const refusal = writeProperties(document, { push: (text) => parts.push(text) })
  return refusal ?? parts.join('')
}

/** {@link renderProperties} written line by line to `sink`; a refusal writes nothing. */
export function writeProperties(document: unknown, sink: TextSink): RenderRefusal | undefined {
  const refusal = duplicatePaths(document)
  if (refusal !== undefined) return refusal
  forEachLeaf(document, (path, _segments, value) => {
    sink.push(`${escapeProperty(path, true)}=${escapeProperty(leafText(value), false)}\n`)
    return true
  })
  return undefined
}

/**
 * `Properties.saveConvert`: a backslash before `\`, `=`, `:`, `#`, `!`; `\t`, `\n`, `\r`, `\f`;
 * `\uXXXX` for the rest of what is not printable ASCII. A key escapes every space (a space ends a
 * key); a value only a leading one (leading white space is skipped when read).
 */
export function escapeProperty(text: string, isKey: boolean): string {
  // Most keys and values need nothing: one test, and the text itself is the answer.
  if (!NEEDS_ESCAPE.test(text)) return text
  return text.replace(ESCAPED, (char, index: number) => {
    switch (char) {
      case ' ':
        return index === 0 || isKey ? '\\ ' : ' '
      case '\\':
        return '\\\\'
      case '\t':
        return '\\t'
      case '\n':
        return '\\n'
      case '\r':
        return '\\r'
      case '\f':
        return '\\f'
      case '=':
      case ':':
      case '#':
      case '!':
        return `\\${char}`
      default:
        return `\\u${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`
    }
  })
}

/** What {@link escapeProperty} may change: a space, `\`, `=`, `:`, `#`, `!`, anything not printable ASCII. */
const NEEDS_ESCAPE = /[ \\=:#!]|[^\x20-\x7e]/
const ESCAPED = /[ \\=:#!]|[^\x20-\x7e]/g
