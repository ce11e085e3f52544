// Parsing: JSON or YAML text into one plain object, the only parsing in the sidecar. Refuses what
// would parse to something other than what was written: duplicate keys (also keys that collide once
// YAML makes them text), nesting or alias expansion past the limits, a `{jwe}` hidden in a set.
import { getHeapStatistics } from 'node:v8'
import type * as YamlModule from 'yaml'
import type { YAMLError } from 'yaml'
import { interopDefault } from '../support/interop.js'
import { SidecarError } from '../support/errors.js'
import { DOCUMENT_LIMITS } from '../support/limits.js'
import { findDuplicateJsonKey } from './json-keys.js'
import { formatPath, showKey } from './path.js'
import type { DocumentPath } from './path.js'
import { toPlainJson } from './plain.js'
import { isRecord } from './record.js'
import type { ConfigRecord } from './record.js'
import { expansionLimit } from './size.js'

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
 * Parsing YAML builds the `yaml` library's document tree first, which takes far more memory than
 * the data: under a 64 MB old space a 1 MiB file of many small keys ran the heap out, and a 512 KiB
 * one peaked near 108 MB RSS. So YAML text over the heap limit / YAML_HEAP_FACTOR is refused before
 * it is parsed (ERR_DOCUMENT_TOO_LARGE; the last good config stays): about 536 KiB under the
 * manifest's `--max-old-space-size=64`, the 4 MiB size limit under Node's default heap.
 */
export const YAML_HEAP_FACTOR = 128

/** The largest YAML text this process parses, for a V8 heap limit of `heapLimit` bytes. */
export function yamlByteLimit(heapLimit = getHeapStatistics().heap_size_limit): number {
  return Math.min(DOCUMENT_LIMITS.maxBytes, Math.floor(heapLimit / YAML_HEAP_FACTOR))
}

/**
 * Parses a JSON or YAML body into an object. Refuses (ERR_DOCUMENT_INVALID) anything that does not
 * parse, is not an object, repeats a key, nests deeper than the limit or expands too many YAML
 * aliases, and (ERR_DOCUMENT_TOO_LARGE) anything whose JSON would pass 4× the text (aliases copied).
 * `where` names the file or URL in messages; the body itself is never quoted, keys may be.
 */
export async function parseDocument(
  text: string,
  format: DocumentFormat,
  where: string,
): Promise<ConfigRecord> {
  if (format === 'yaml') {
    const bytes = Buffer.byteLength(text)
    const limit = yamlByteLimit()
    if (bytes > limit) {
      throw new SidecarError(
        'ERR_DOCUMENT_TOO_LARGE',
        `${where} is ${bytes} bytes of YAML, over the ${limit} this process can parse (its heap limit / ${YAML_HEAP_FACTOR}); serve it as JSON or raise --max-old-space-size`,
      )
    }
  }
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
  const document = toPlainJson(value, where, expansionLimit(Buffer.byteLength(text)), {
    inPlace: yaml === undefined,
  }) as ConfigRecord
  if (yaml === undefined) {
    const duplicate = findDuplicateJsonKey(text)
    if (duplicate !== undefined) throw duplicateKey(where, duplicate)
  }
  return document
}

function duplicateKey(where: string, path: DocumentPath): SidecarError {
  const key = String(path[path.length - 1])
  const parent = path.length === 1 ? 'the top level' : showKey(formatPath(path.slice(0, -1)))
  return new SidecarError(
    'ERR_DOCUMENT_INVALID',
    `${where}: the key ${showKey(key)} is given twice at ${parent}; which one is meant is ambiguous`,
  )
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
  // prettyErrors computes the line and column of an error; its message (which quotes the text) goes
  // unused.
  const document = yaml.parseDocument(text, {
    uniqueKeys: false,
    prettyErrors: true,
    customTags: withoutImplicitTimestamps,
  })
  const [error] = document.errors
  if (error !== undefined) throw error
  const refusal = checkKeys(yaml, document, where)
  if (refusal !== undefined) throw refusal
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

const TIMESTAMP_TAG = 'tag:yaml.org,2002:timestamp'

/**
 * The schema's tags with YAML 1.1's timestamp kept for an explicit `!!timestamp` only: under
 * `%YAML 1.1`, `2001-12-14` stays the text it is, as Spring Boot's YAML loader (which resolves no
 * implicit timestamp) and YAML 1.2 read it.
 */
function withoutImplicitTimestamps(tags: YamlModule.Tags): YamlModule.Tags {
  return tags.map((tag) =>
    typeof tag === 'object' && tag.tag === TIMESTAMP_TAG ? { ...tag, default: false } : tag,
  )
}

/**
 * Refuses the first key that repeats within one map, compared as the parsed document will hold it:
 * keys become text, so `1` and `"1"`, `true` and `"true"`, `~` and `""` are the same key (JSON keeps
 * only the last). A key that is itself a list or a map has no text form to serve, so it is refused
 * too. A key tagged `!!timestamp` or `!!binary` is made the text it was written as (left to toJS,
 * a timestamp key became the text of a JavaScript Date, which depends on the process's time zone,
 * and the yaml package printed a warning). One pass; aliases are not followed (the node they name is
 * checked where it stands).
 */
function checkKeys(
  yaml: Yaml,
  document: YamlModule.Document.Parsed,
  where: string,
): SidecarError | undefined {
  const stack: { node: unknown; path: DocumentPath }[] = [{ node: document.contents, path: [] }]
  while (stack.length > 0) {
    const { node, path } = stack.pop()!
    if (yaml.isMap(node)) {
      const seen = new Set<string>()
      for (const pair of node.items) {
        const key = keyText(yaml, document, pair.key)
        if (key === undefined) {
          return new SidecarError(
            'ERR_DOCUMENT_INVALID',
            `${where}: a key at ${path.length === 0 ? 'the top level' : showKey(formatPath(path))} ` +
              'is a list or a map; keys must be text, numbers, booleans or null',
          )
        }
        if (seen.has(key)) {
          return new SidecarError(
            'ERR_DOCUMENT_INVALID',
            `${where}: the key ${showKey(key)} is given twice at ` +
              `${path.length === 0 ? 'the top level' : showKey(formatPath(path))} (keys are ` +
              'compared as text: 1 and "1", true and "true" are the same key)',
          )
        }
        seen.add(key)
        keepAsWritten(yaml, document, pair.key, key)
        stack.push({ node: pair.value, path: [...path, key] })
      }
    } else if (yaml.isSeq(node)) {
      node.items.forEach((item, index) => {
        // A `!!omap` or `!!pairs` is a list of pairs.
        if (yaml.isPair(item)) {
          const key = keyText(yaml, document, item.key) ?? String(index)
          keepAsWritten(yaml, document, item.key, key)
          stack.push({ node: item.value, path: [...path, key] })
        } else stack.push({ node: item, path: [...path, index] })
      })
    }
  }
  return undefined
}

/** A map key as the parsed object holds it (text), or undefined for a list or map key. */
function keyText(
  yaml: Yaml,
  document: YamlModule.Document.Parsed,
  key: unknown,
): string | undefined {
  const node = yaml.isAlias(key) ? key.resolve(document) : key
  if (node === null || node === undefined) return ''
  if (!yaml.isScalar(node)) return undefined
  const value: unknown = node.value
  if (value === null || value === undefined) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value)
  // A timestamp (a Date) or !!binary (bytes): as written.
  return node.source ?? String(node)
}

/**
 * Makes a key that is a timestamp or `!!binary` scalar hold `text` instead of a Date or bytes; the
 * scalar itself, so an alias of it gets the same.
 */
function keepAsWritten(
  yaml: Yaml,
  document: YamlModule.Document.Parsed,
  key: unknown,
  text: string,
): void {
  const node = yaml.isAlias(key) ? key.resolve(document) : key
  if (yaml.isScalar(node) && typeof node.value === 'object' && node.value !== null)
    node.value = text
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
  // yaml resolves aliases only in toJS, and says so with a ReferenceError: an alias with no anchor
  // before it is a mistake in the file, not an alias bomb.
  if (error instanceof ReferenceError && error.message.startsWith('Unresolved alias')) {
    return ' (an alias names no anchor set before it)'
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
