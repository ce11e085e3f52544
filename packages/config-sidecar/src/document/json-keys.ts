// Duplicate keys in JSON text. JSON.parse keeps the last of two equal keys without a word; a config
// document that says `"password"` twice is ambiguous, so the document stage refuses it instead.
import type { DocumentPath } from './path.js'

interface ObjectFrame {
  readonly kind: 'object'
  readonly keys: Set<string>
  key: string | undefined
  expectKey: boolean
}
interface ListFrame {
  readonly kind: 'list'
  index: number
}

/**
 * The path of the first key that repeats within one object of `text` (compared as JSON.parse
 * decodes them, so `"a"` and `"\u0061"` are the same key), or undefined. `text` must be valid JSON
 * (JSON.parse accepted it) nested within the depth limit; one pass, no recursion.
 */
export function findDuplicateJsonKey(text: string): DocumentPath | undefined {
  const stack: (ObjectFrame | ListFrame)[] = []
  const structural = /[{}[\],"]/g
  for (let match = structural.exec(text); match !== null; match = structural.exec(text)) {
    const top = stack[stack.length - 1]
    switch (match[0]) {
      case '{':
        stack.push({ kind: 'object', keys: new Set(), key: undefined, expectKey: true })
        break
      case '[':
        stack.push({ kind: 'list', index: 0 })
        break
      case '}':
      case ']':
        stack.pop()
        break
      case ',':
        if (top?.kind === 'list') top.index += 1
        else if (top?.kind === 'object') top.expectKey = true
        break
      default: {
        // A string: skip to its closing quote; a key is checked against its object's keys.
        const start = match.index
        const end = stringEnd(text, start)
        if (top?.kind === 'object' && top.expectKey) {
          const raw = text.slice(start + 1, end)
          const key = raw.includes('\\') ? (JSON.parse(text.slice(start, end + 1)) as string) : raw
          if (top.keys.has(key)) return [...pathOf(stack.slice(0, -1)), key]
          top.keys.add(key)
          top.key = key
          top.expectKey = false
        }
        structural.lastIndex = end + 1
      }
    }
  }
  return undefined
}

/** The index of the quote that closes the string opening at `start`. */
function stringEnd(text: string, start: number): number {
  let from = start + 1
  for (;;) {
    const quote = text.indexOf('"', from)
    if (quote === -1) return text.length - 1
    let backslashes = 0
    while (text.charCodeAt(quote - 1 - backslashes) === 0x5c) backslashes += 1
    if (backslashes % 2 === 0) return quote
    from = quote + 1
  }
}

function pathOf(frames: readonly (ObjectFrame | ListFrame)[]): (string | number)[] {
  return frames.map((frame) => (frame.kind === 'list' ? frame.index : (frame.key ?? '')))
}
