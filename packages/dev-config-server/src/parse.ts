import { YAMLError, parseAllDocuments } from 'yaml'
import { DevConfigError } from './errors.js'
import { isPlainObject } from './flatten.js'

export type FileFormat = 'yaml' | 'json'

/** Most YAML aliases expanded in one file (alias bombs). */
const MAX_YAML_ALIASES = 100

/** One document of a config file: its position in the file and its top-level map. */
export interface ParsedDocument {
  readonly index: number
  readonly value: Readonly<Record<string, unknown>>
}

/**
 * Parses a config file into its documents (YAML may hold several, separated by `---`; JSON holds
 * one). Empty documents are skipped, as Spring skips them. A document that is not a map, a syntax
 * error, a duplicate key or an alias bomb is refused with a message naming the file and the line,
 * never quoting the content (it may hold secrets).
 */
export function parseConfigFile(text: string, format: FileFormat, where: string): ParsedDocument[] {
  const values = format === 'json' ? [parseJson(text, where)] : parseYaml(text, where)
  const documents: ParsedDocument[] = []
  values.forEach((value, index) => {
    if (value === null || value === undefined) return
    if (!isPlainObject(value)) {
      throw new DevConfigError(
        500,
        'invalid_config',
        `${where}${values.length > 1 ? ` (document #${index})` : ''} must hold a map at the top level`,
      )
    }
    documents.push({ index, value })
  })
  return documents
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
  // prettyErrors computes line positions; the messages themselves (which quote the file) go unused.
  const options = { uniqueKeys: true, prettyErrors: true, maxAliasCount: MAX_YAML_ALIASES }
  const parsed = parseAllDocuments(text, options)
  const documents = Array.isArray(parsed) ? parsed : []
  const values: unknown[] = []
  for (const document of documents) {
    const error = document.errors[0]
    if (error !== undefined) throw invalidYaml(error, where)
    try {
      values.push(document.toJS({ maxAliasCount: MAX_YAML_ALIASES }))
    } catch (caught) {
      if (caught instanceof YAMLError) throw invalidYaml(caught, where)
      throw new DevConfigError(
        500,
        'invalid_config',
        `${where} is not valid YAML (more than ${MAX_YAML_ALIASES} aliases: refused as an alias bomb)`,
      )
    }
  }
  return values
}

function invalidYaml(error: YAMLError, where: string): DevConfigError {
  const position = error.linePos?.[0]
  return new DevConfigError(
    500,
    'invalid_config',
    `${where} is not valid YAML (${error.code}${position === undefined ? '' : ` at line ${position.line}, column ${position.col}`})`,
  )
}
