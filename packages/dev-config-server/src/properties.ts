// Reads `.properties` text the way Spring Boot's own loader does: java.util.Properties syntax, plus
// `name[]=a,b` lists and `#---` / `!---` document separators.
import { DevConfigError } from './errors.js'

/** Characters java.util.Properties counts as whitespace. */
const WHITESPACE = new Set([' ', '\t', '\f'])
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { t: '\t', r: '\r', n: '\n', f: '\f' }
/** A document separator: `#---` or `!---` at the very start of a line, then only whitespace. */
const SEPARATOR = /^[#!]---[ \t\f]*$/

/** One character of a logical line after unescaping; `escaped` ones never act as syntax. */
interface Char {
  readonly char: string
  readonly escaped: boolean
}

/**
 * Parses `.properties` text (already decoded: Spring reads these files as ISO-8859-1) into its
 * documents, empty ones dropped, each a map of key to string value in file order.
 *
 * java.util.Properties syntax: `=`, `:` or whitespace between key and value; `#` and `!` comment
 * lines; `\t \n \r \f \uXXXX` escapes (any other escaped character stands for itself, so `\=`,
 * `\:` and `\ ` keep separators in a key); a line ending in an odd number of backslashes continues
 * on the next, whose leading whitespace is dropped; trailing whitespace stays in a value.
 *
 * Where Spring Boot's loader differs, this follows Spring Boot: keys are trimmed and an empty key is
 * dropped; `key[]=a,b` becomes `key[0]`, `key[1]` (split at unescaped commas, one trailing comma
 * ignored); a line starting with an escaped `#` or `!` is a comment too; and a file splits into
 * documents at a `#---` or `!---` line that starts at the first column, unless the line before is a
 * comment with the same first character. A comment between a separator and the next property joins
 * the two documents again, as in Spring Boot.
 */
export function parseProperties(text: string, where: string): Map<string, string>[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n')
  const documents: Map<string, string>[] = []
  let current = new Map<string, string>()
  let lastCommentPrefix: string | undefined

  for (let index = 0; index < lines.length; index += 1) {
    const physical = lines[index]!
    const content = stripLeadingWhitespace(physical)
    if (content === '') {
      lastCommentPrefix = undefined
      continue
    }
    const prefix = commentPrefix(content)
    if (prefix !== undefined) {
      if (content === physical && SEPARATOR.test(content) && lastCommentPrefix !== prefix) {
        if (current.size > 0) documents.push(current)
        current = new Map()
        continue
      }
      if (current.size === 0 && documents.length > 0) current = documents.pop()!
      lastCommentPrefix = prefix
      continue
    }
    lastCommentPrefix = undefined

    // A logical line: physical lines joined while one ends in an odd number of backslashes.
    const startLine = index + 1
    let logical = content
    while (endsInContinuation(logical)) {
      logical = logical.slice(0, -1)
      index += 1
      if (index >= lines.length) break
      logical += stripLeadingWhitespace(lines[index]!)
    }
    readPair(unescape(logical, where, startLine), current)
  }
  if (current.size > 0) documents.push(current)
  return documents
}

function readPair(chars: readonly Char[], into: Map<string, string>): void {
  let position = 0
  let key = ''
  let previousWhitespace = false
  for (; position < chars.length; position += 1) {
    const { char, escaped } = chars[position]!
    const whitespace = !escaped && WHITESPACE.has(char)
    if (!escaped && (char === '=' || char === ':')) {
      position += 1
      break
    }
    if (!whitespace && previousWhitespace) break
    previousWhitespace = whitespace
    key += char
  }
  key = javaTrim(key)
  const value = chars.slice(position)
  if (key.endsWith('[]')) {
    const name = key.slice(0, -2)
    const items = splitAtCommas(value)
    if (items.length > 1 && items.at(-1)!.length === 0) items.pop()
    items.forEach((item, itemIndex) => put(into, `${name}[${itemIndex}]`, text(item)))
  } else {
    put(into, key, text(value))
  }
}

function put(into: Map<string, string>, key: string, value: string): void {
  if (key !== '') into.set(key, value)
}

/** The value's characters after its leading (unescaped) whitespace. */
function text(chars: readonly Char[]): string {
  let start = 0
  while (start < chars.length && !chars[start]!.escaped && WHITESPACE.has(chars[start]!.char)) {
    start += 1
  }
  return chars
    .slice(start)
    .map(({ char }) => char)
    .join('')
}

function splitAtCommas(chars: readonly Char[]): Char[][] {
  const items: Char[][] = [[]]
  for (const char of chars) {
    if (!char.escaped && char.char === ',') items.push([])
    else items.at(-1)!.push(char)
  }
  return items
}

function unescape(line: string, where: string, lineNumber: number): Char[] {
  const chars: Char[] = []
  for (let position = 0; position < line.length; position += 1) {
    const char = line[position]!
    if (char !== '\\') {
      chars.push({ char, escaped: false })
      continue
    }
    position += 1
    const next = line[position]
    if (next === undefined) break // a backslash at the very end of the file
    if (next === 'u') {
      const hex = line.slice(position + 1, position + 5)
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
        throw new DevConfigError(
          500,
          'invalid_config',
          `${where} is not a valid .properties file (malformed \\uXXXX escape at line ${lineNumber})`,
        )
      }
      chars.push({ char: String.fromCharCode(Number.parseInt(hex, 16)), escaped: true })
      position += 4
    } else {
      chars.push({ char: SIMPLE_ESCAPES[next] ?? next, escaped: true })
    }
  }
  return chars
}

/** `#` or `!` when the line (leading whitespace gone) is a comment, escaped or not. */
function commentPrefix(content: string): string | undefined {
  const first = content[0]
  if (first === '#' || first === '!') return first
  if (first !== '\\') return undefined
  const escaped = content[1] === 'u' ? escapedUnicode(content.slice(2, 6)) : content[1]
  return escaped === '#' || escaped === '!' ? escaped : undefined
}

function escapedUnicode(hex: string): string | undefined {
  return /^[0-9a-fA-F]{4}$/.test(hex) ? String.fromCharCode(Number.parseInt(hex, 16)) : undefined
}

function endsInContinuation(line: string): boolean {
  let backslashes = 0
  for (let position = line.length - 1; position >= 0 && line[position] === '\\'; position -= 1) {
    backslashes += 1
  }
  return backslashes % 2 === 1
}

function stripLeadingWhitespace(line: string): string {
  let start = 0
  while (start < line.length && WHITESPACE.has(line[start]!)) start += 1
  return line.slice(start)
}

/** Java's String.trim(): drops characters up to U+0020 at both ends (JavaScript's trim does more). */
function javaTrim(value: string): string {
  let start = 0
  let end = value.length
  while (start < end && value.charCodeAt(start) <= 0x20) start += 1
  while (end > start && value.charCodeAt(end - 1) <= 0x20) end -= 1
  return value.slice(start, end)
}
