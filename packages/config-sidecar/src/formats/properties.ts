// The `.properties` format: one `key=value` line per leaf, the key its flat path, escaped as
// java.util.Properties.store escapes (so Properties.load reads every key and value back exactly).
import { isRefusal, leafText, uniqueFlatEntries } from './flat.js'
import type { RenderRefusal } from './flat.js'

/**
 * Java properties text. Everything outside printable ASCII is written as `\uXXXX` (one escape per
 * UTF-16 unit, as `Properties.store` does), so the file is plain ASCII: `Properties.load` reads it
 * the same from an InputStream (ISO-8859-1) and from a UTF-8 Reader, and so does Spring.
 */
export function renderProperties(document: unknown): string | RenderRefusal {
  const entries = uniqueFlatEntries(document)
  if (isRefusal(entries)) return entries
  let text = ''
  for (const entry of entries) {
    text += `${escapeProperty(entry.path, true)}=${escapeProperty(leafText(entry.value), false)}\n`
  }
  return text
}

/**
 * `Properties.saveConvert`: a backslash before `\`, `=`, `:`, `#`, `!`; `\t`, `\n`, `\r`, `\f`;
 * `\uXXXX` for the rest of what is not printable ASCII. A key escapes every space (a space ends a
 * key); a value only a leading one (leading white space is skipped when read).
 */
export function escapeProperty(text: string, isKey: boolean): string {
  let out = ''
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    const char = text[index]!
    switch (char) {
      case ' ':
        out += index === 0 || isKey ? '\\ ' : ' '
        break
      case '\\':
        out += '\\\\'
        break
      case '\t':
        out += '\\t'
        break
      case '\n':
        out += '\\n'
        break
      case '\r':
        out += '\\r'
        break
      case '\f':
        out += '\\f'
        break
      case '=':
      case ':':
      case '#':
      case '!':
        out += `\\${char}`
        break
      default:
        out +=
          code < 0x20 || code > 0x7e
            ? `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`
            : char
    }
  }
  return out
}
