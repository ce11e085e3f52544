// The `.yaml` format: the nested document in block style, every scalar written so that YAML 1.2 and
// YAML 1.1 parsers (the `yaml` package, SnakeYAML in Spring, PyYAML) read back the same value.

import type { TextSink } from './flat.js'

/** Longest implicit key: past it (the spec's limit is 1024 characters) a key is written `? key`. */
const MAX_IMPLICIT_KEY = 1000

/**
 * YAML text for a document. A string is written plain only when it starts with a letter, holds
 * letters, digits, `_`, `.`, `/`, `-` and single inner spaces, and is no keyword of either YAML
 * version (`yes`, `on`, `null`, …) nor reads as a number in any (`e5`); anything else is
 * double-quoted with escapes, on one line.
 */
export function renderYaml(document: unknown): string {
  const parts: string[] = []
  writeYaml(document, { push: (text) => parts.push(text) })
  return parts.join('')
}

/** {@link renderYaml} written line by line to `sink`. */
export function writeYaml(document: unknown, sink: TextSink): void {
  if (!isNonEmpty(document)) {
    sink.push(`${inline(document)}\n`)
    return
  }
  const lines: Lines = { push: (line) => sink.push(`${line}\n`) }
  if (Array.isArray(document)) sequence(document, 0, '', lines)
  else mapping(document as Record<string, unknown>, 0, '', lines)
}

/** Where the lines go, each without its line break. */
interface Lines {
  push(line: string): void
}

/** A non-empty mapping at `indent`; its first line starts with `first` (a `- ` of its parent list). */
function mapping(
  value: Record<string, unknown>,
  indent: number,
  first: string,
  lines: Lines,
): void {
  const pad = ' '.repeat(indent)
  let lead = first
  for (const key of Object.keys(value)) {
    const item = value[key]
    if (item === undefined) continue
    const name = scalar(key)
    if (name.length > MAX_IMPLICIT_KEY) {
      lines.push(`${lead}? ${name}`)
      valueAfter(':', item, indent, pad, lines)
    } else {
      valueAfter(`${lead}${name}:`, item, indent, pad, lines)
    }
    lead = pad
  }
}

/** `head` (a key and its `:`) followed by the value: inline, or as a block indented under it. */
function valueAfter(head: string, item: unknown, indent: number, pad: string, lines: Lines): void {
  const line = head.startsWith(':') ? `${pad}${head}` : head
  if (!isNonEmpty(item)) {
    lines.push(`${line} ${inline(item)}`)
    return
  }
  lines.push(line)
  const inner = ' '.repeat(indent + 2)
  if (Array.isArray(item)) sequence(item, indent + 2, inner, lines)
  else mapping(item as Record<string, unknown>, indent + 2, inner, lines)
}

/** A non-empty list at `indent`; its first line starts with `first`. */
function sequence(value: readonly unknown[], indent: number, first: string, lines: Lines): void {
  const pad = ' '.repeat(indent)
  value.forEach((raw, index) => {
    const item = raw === undefined ? null : raw
    const lead = `${index === 0 ? first : pad}- `
    if (!isNonEmpty(item)) lines.push(`${lead}${inline(item)}`)
    else if (Array.isArray(item)) sequence(item, indent + 2, lead, lines)
    else mapping(item as Record<string, unknown>, indent + 2, lead, lines)
  })
}

/** A value on one line: a scalar, `{}` or `[]`. */
function inline(value: unknown): string {
  if (Array.isArray(value)) return '[]'
  if (typeof value === 'object' && value !== null) return '{}'
  if (typeof value === 'string') return scalar(value)
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'number' && Number.isFinite(value)) return JSON.stringify(value)
  return 'null'
}

function isNonEmpty(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0
  if (typeof value !== 'object' || value === null) return false
  return Object.keys(value).some((key) => (value as Record<string, unknown>)[key] !== undefined)
}

const PLAIN = /^[A-Za-z][A-Za-z0-9_./-]*(?: [A-Za-z0-9_./-]+)*$/
/** Words some YAML version reads as a boolean or null (compared in lower case). */
const KEYWORDS = new Set(['y', 'n', 'yes', 'no', 'true', 'false', 'on', 'off', 'null'])

/** An exponent alone (`e5`): the `yaml` package's YAML 1.1 schema reads it as a float. */
const BARE_EXPONENT = /^[eE][-+]?[0-9]/

/** A string as a plain scalar when that is safe in YAML 1.1 and 1.2, else double-quoted. */
function scalar(text: string): string {
  if (PLAIN.test(text) && !KEYWORDS.has(text.toLowerCase()) && !BARE_EXPONENT.test(text))
    return text
  return doubleQuoted(text)
}

const ESCAPES: Record<number, string> = {
  0x00: '\\0',
  0x07: '\\a',
  0x08: '\\b',
  0x09: '\\t',
  0x0a: '\\n',
  0x0b: '\\v',
  0x0c: '\\f',
  0x0d: '\\r',
  0x1b: '\\e',
  0x22: '\\"',
  0x5c: '\\\\',
  0x85: '\\N',
  0x2028: '\\L',
  0x2029: '\\P',
}

/**
 * A double-quoted scalar: `"` and `\` escaped, and every character YAML does not count as printable
 * (C0 and C1 controls, DEL, lone surrogates, U+FEFF, U+FFFE, U+FFFF) or that YAML 1.1 reads as a
 * line break (U+0085, U+2028, U+2029) written as an escape.
 */
function doubleQuoted(text: string): string {
  // One pass over the text, replacing only what needs an escape (a pair of surrogates is one
  // character and stays as it is; a lone one is escaped).
  return `"${text.replace(NEEDS_ESCAPE, (char) => {
    const code = char.charCodeAt(0)
    const escape = ESCAPES[code]
    if (escape !== undefined) return escape
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f))
      return `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`
    return `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`
  })}"`
}

/** Every character {@link doubleQuoted} escapes; matched by UTF-16 unit, so lone surrogates alone. */
const NEEDS_ESCAPE =
  // eslint-disable-next-line no-control-regex -- control characters are what it finds
  /[\x00-\x1f"\\\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g
