// Parses the bytes of a config file (YAML, JSON or .properties) into its documents, each named and
// flattened into Spring property form.
import { Lexer, YAMLError, isScalar, parseAllDocuments, visit } from 'yaml'
import type { Tags } from 'yaml'
import { DevConfigError } from './errors.js'
import { MAX_DEPTH, flattenDocument, isPlainObject } from './flatten.js'
import type { PropertyValue } from './flatten.js'
import { parseProperties } from './properties.js'

export type FileFormat = 'yaml' | 'json' | 'properties'

/** Most YAML aliases expanded in one file (alias bombs). */
const MAX_YAML_ALIASES = 100

/** One document of a config file, in Spring property form. */
export interface ParsedDocument {
  /** The file's path below the config directory, plus `(document #n)` when it holds several. */
  readonly name: string
  readonly source: ReadonlyMap<string, PropertyValue>
}

/**
 * Parses a config file into its documents: YAML may hold several, separated by `---`, and
 * `.properties` too, separated by `#---` or `!---`; JSON holds one. YAML and JSON are read as
 * UTF-8, `.properties` as ISO-8859-1 (as Spring reads them). Empty documents are dropped and the
 * rest numbered from 0, as Spring does. A document that is not a map, a syntax error, a duplicate
 * key or an alias bomb is refused with a message naming the file and the line, never quoting the
 * content (it may hold secrets).
 */
export function parseConfigFile(
  bytes: Buffer,
  format: FileFormat,
  where: string,
): ParsedDocument[] {
  if (format === 'properties') {
    const documents = parseProperties(bytes.toString('latin1'), where)
    return documents.map((source, index) => ({
      name: documentName(where, index, documents.length),
      source,
    }))
  }
  const text = bytes.toString('utf8')
  const values = (format === 'json' ? [parseJson(text, where)] : parseYaml(text, where)).filter(
    (value) => value !== null && value !== undefined,
  )
  return values.map((value, index) => {
    const name = documentName(where, index, values.length)
    if (!isPlainObject(value)) {
      throw new DevConfigError(500, 'invalid_config', `${name} must hold a map at the top level`)
    }
    return { name, source: flattenDocument(value, name) }
  })
}

/** A file's name, with the document's position when the file holds several documents. */
export function documentName(where: string, index: number, count: number): string {
  return count > 1 ? `${where} (document #${index})` : where
}

function parseJson(text: string, where: string): unknown {
  if (text.trim() === '') return null
  try {
    return JSON.parse(text)
  } catch (error) {
    const position =
      error instanceof SyntaxError ? /position (\d+)/.exec(error.message)?.[1] : undefined
    throw new DevConfigError(
      500,
      'invalid_config',
      `${where} is not valid JSON${position === undefined ? '' : ` (at position ${position})`}`,
    )
  }
}

function parseYaml(text: string, where: string): unknown[] {
  checkYamlNesting(text, where)
  // prettyErrors computes line positions; the messages themselves (which quote the file) go unused.
  const options = {
    uniqueKeys: true,
    prettyErrors: true,
    maxAliasCount: MAX_YAML_ALIASES,
    customTags: withoutImplicitTimestamps,
  }
  const parsed = parseAllDocuments(text, options)
  const documents = Array.isArray(parsed) ? parsed : []
  const values: unknown[] = []
  for (const document of documents) {
    const error = document.errors[0]
    if (error !== undefined) throw invalidYaml(error, where)
    keysAsWritten(document)
    try {
      values.push(document.toJS({ maxAliasCount: MAX_YAML_ALIASES }))
    } catch (caught) {
      if (caught instanceof YAMLError) throw invalidYaml(caught, where)
      // yaml resolves aliases only here, and says so with a ReferenceError: an alias with no anchor
      // before it (in its own document) is a mistake in the file, not an alias bomb.
      if (caught instanceof Error && caught.message.startsWith('Unresolved alias')) {
        throw new DevConfigError(
          500,
          'invalid_config',
          `${where} is not valid YAML (an alias names no anchor set before it in its document)`,
        )
      }
      throw new DevConfigError(
        500,
        'invalid_config',
        `${where} is not valid YAML (more than ${MAX_YAML_ALIASES} aliases: refused as an alias bomb)`,
      )
    }
  }
  return values
}

const TIMESTAMP_TAG = 'tag:yaml.org,2002:timestamp'

/**
 * The schema's tags with YAML 1.1's timestamp kept for an explicit `!!timestamp` only: under
 * `%YAML 1.1`, `2001-12-14` stays text, as Spring Boot's YAML loader (which resolves no implicit
 * timestamp) reads it.
 */
function withoutImplicitTimestamps(tags: Tags): Tags {
  return tags.map((tag) =>
    typeof tag === 'object' && tag.tag === TIMESTAMP_TAG ? { ...tag, default: false } : tag,
  )
}

/**
 * Makes each `!!timestamp` or `!!binary` key the text it was written as: toJS would make it the
 * text of a JavaScript Date, which depends on the time zone (and print a warning).
 */
function keysAsWritten(document: Parameters<typeof visit>[0]): void {
  visit(document, {
    Pair(_, { key }) {
      // A Date or bytes, with the text it was parsed from.
      if (isScalar(key) && key.value instanceof Object && key.source !== undefined)
        key.value = key.source
    },
  })
}

function invalidYaml(error: YAMLError, where: string): DevConfigError {
  const position = error.linePos?.[0]
  return new DevConfigError(
    500,
    'invalid_config',
    `${where} is not valid YAML (${error.code}${position === undefined ? '' : ` at line ${position.line}, column ${position.col}`})`,
  )
}

/**
 * Refuses YAML nested deeper than {@link MAX_DEPTH} before it is parsed: the parser's memory and
 * time grow with the depth (2 MB of `[` take minutes and gigabytes), and such a file would be
 * refused after parsing anyway. The depth counted is a lower bound, from the lexer's tokens: open
 * flow collections (`[`, `{`) plus the block indicators (`-`, `?`) on the current line; nesting by
 * indentation costs a line per level, so the file size limit bounds it.
 */
function checkYamlNesting(text: string, where: string): void {
  let flow = 0
  let onLine = 0
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') flow += 1
    else if ((token === ']' || token === '}') && flow > 0) flow -= 1
    else if ((token === '-' || token === '?') && flow === 0) onLine += 1
    else if (token === '\n' || token === '\r\n') onLine = 0
    if (flow + onLine > MAX_DEPTH) {
      throw new DevConfigError(
        500,
        'invalid_config',
        `${where} nests deeper than ${MAX_DEPTH} levels`,
      )
    }
  }
}
