import type * as YamlModule from 'yaml'
import type { YAMLError } from 'yaml'
import { interopDefault } from '../support/interop.js'
import { SidecarError } from '../support/errors.js'
import { DOCUMENT_LIMITS } from '../support/limits.js'
import { copy, isRecord } from './record.js'
import type { ConfigRecord } from './record.js'

export type DocumentFormat = 'json' | 'yaml'

/** The format of a body: JSON when the type or extension says so or it starts with `{`, else YAML. */
export function detectFormat(
  hint: { contentType?: string | undefined; fileName?: string | undefined },
  text: string,
): DocumentFormat {
  const type = hint.contentType?.toLowerCase() ?? ''
  if (type.includes('json')) return 'json'
  if (type.includes('yaml') || type.includes('yml')) return 'yaml'
  const name = hint.fileName?.toLowerCase() ?? ''
  if (name.endsWith('.json')) return 'json'
  if (name.endsWith('.yaml') || name.endsWith('.yml')) return 'yaml'
  return text.trimStart().startsWith('{') ? 'json' : 'yaml'
}

/**
 * Parses a JSON or YAML body into an object. Refuses (ERR_DOCUMENT_INVALID) anything that does not
 * parse, is not an object, nests deeper than the limit or expands too many YAML aliases. `where`
 * names the file or URL in messages; the body itself is never quoted.
 */
export async function parseDocument(
  text: string,
  format: DocumentFormat,
  where: string,
): Promise<ConfigRecord> {
  // The YAML parser is loaded with the first YAML document: a JSON-only sidecar never loads it.
  const yaml = format === 'yaml' ? interopDefault(await import('yaml')) : undefined
  let value: unknown
  try {
    value = yaml === undefined ? JSON.parse(text) : parseYaml(yaml, text, where)
  } catch (error) {
    if (error instanceof SidecarError) throw error
    throw new SidecarError(
      'ERR_DOCUMENT_INVALID',
      `${where} is not valid ${format.toUpperCase()}${describeParseError(error)}`,
    )
  }
  if (!isRecord(value)) {
    throw new SidecarError(
      'ERR_DOCUMENT_INVALID',
      `${where} must hold an object at the top level (found ${kindOf(value)})`,
    )
  }
  checkDepth(value, where)
  return copy(value) as ConfigRecord
}

type Yaml = typeof YamlModule

/**
 * Parses one YAML document within bounded time and memory. The parser's own memory grows with the
 * nesting depth (100,000 levels of `[` take gigabytes before it gives up), so the depth is read from
 * the lexer's tokens first and the document refused past the limit. Its `uniqueKeys` check compares
 * each key with every earlier key of its map (minutes for a 4 MiB file of keys), so duplicate keys
 * are found here in one pass instead.
 */
function parseYaml(yaml: Yaml, text: string, where: string): unknown {
  checkYamlNesting(yaml, text, where)
  const document = yaml.parseDocument(text, { uniqueKeys: false, prettyErrors: false })
  const [error] = document.errors
  if (error !== undefined) throw error
  const duplicate = findDuplicateKey(yaml, document.contents)
  if (duplicate !== undefined) throw duplicate
  return document.toJS({ maxAliasCount: DOCUMENT_LIMITS.maxYamlAliases })
}

/**
 * A lower bound of a YAML document's depth, from its tokens: open flow collections (`[`, `{`) plus
 * the block indicators (`-`, `?`) on the current line. Block nesting by indentation costs a line of
 * indentation per level, so the size limit bounds it. Stops at the first token past the limit.
 */
function checkYamlNesting(yaml: Yaml, text: string, where: string): void {
  let flow = 0
  let onLine = 0
  for (const token of new yaml.Lexer().lex(text)) {
    switch (token) {
      case '[':
      case '{':
        flow += 1
        break
      case ']':
      case '}':
        if (flow > 0) flow -= 1
        break
      case '-':
      case '?':
        if (flow === 0) onLine += 1
        break
      case '\n':
      case '\r\n':
        onLine = 0
        break
      default:
        break
    }
    if (flow + onLine > DOCUMENT_LIMITS.maxDepth) {
      throw new SidecarError(
        'ERR_DOCUMENT_INVALID',
        `${where} nests deeper than ${DOCUMENT_LIMITS.maxDepth} levels`,
      )
    }
  }
}

/** The first key that repeats within one map (as `uniqueKeys` would report it), in one pass. */
function findDuplicateKey(yaml: Yaml, root: unknown): Error | undefined {
  const stack: unknown[] = [root]
  while (stack.length > 0) {
    const node = stack.pop()
    if (yaml.isMap(node)) {
      const seen = new Set<unknown>()
      for (const pair of node.items) {
        const key: unknown = yaml.isScalar(pair.key) ? pair.key.value : pair.key
        if (seen.has(key)) {
          const range = yaml.isNode(pair.key) ? pair.key.range : undefined
          return new yaml.YAMLParseError(
            [range?.[0] ?? 0, range?.[1] ?? 0],
            'DUPLICATE_KEY',
            'Map keys must be unique',
          )
        }
        seen.add(key)
        stack.push(pair.value)
      }
    } else if (yaml.isSeq(node)) {
      for (const item of node.items) stack.push(item)
    }
  }
  return undefined
}

/** Refuses documents nested deeper than the limit, before any recursive walk can overflow. */
export function checkDepth(root: unknown, where: string): void {
  const stack: { value: unknown; depth: number }[] = [{ value: root, depth: 1 }]
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!
    if (typeof value !== 'object' || value === null) continue
    if (depth > DOCUMENT_LIMITS.maxDepth) {
      throw new SidecarError(
        'ERR_DOCUMENT_INVALID',
        `${where} nests deeper than ${DOCUMENT_LIMITS.maxDepth} levels`,
      )
    }
    for (const child of Object.values(value)) stack.push({ value: child, depth: depth + 1 })
  }
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'a list'
  return `a ${typeof value}`
}

/**
 * Where a parse failed, without the parser's own message: newer V8 versions quote the input around
 * a JSON error and YAML messages can quote a scalar, and the input may hold secrets. The cause is not
 * kept on the error for the same reason.
 */
function describeParseError(error: unknown): string {
  if (isYamlError(error)) {
    const position = error.linePos?.[0]
    return position === undefined
      ? ` (${error.code})`
      : ` (${error.code} at line ${position.line}, column ${position.col})`
  }
  if (error instanceof SyntaxError) {
    const position = /position (\d+)/.exec(error.message)?.[1]
    return position === undefined ? '' : ` (at position ${position})`
  }
  if (error instanceof ReferenceError && /alias/i.test(error.message)) {
    return ` (more than ${DOCUMENT_LIMITS.maxYamlAliases} aliases: refused as an alias bomb)`
  }
  return ''
}

function isYamlError(error: unknown): error is YAMLError {
  return (
    error instanceof Error &&
    (error.name === 'YAMLParseError' || error.name === 'YAMLWarning') &&
    'code' in error
  )
}
