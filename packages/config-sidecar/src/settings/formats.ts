// The shapes a config can be rendered in (files and `GET /config/?format=`), and which a path names.
/** The shapes a config can be rendered in, for files and for `GET /config/?format=`. */
export const FORMATS = ['json', 'flat', 'properties', 'env', 'yaml'] as const
export type Format = (typeof FORMATS)[number]

/** The format a file's extension names; undefined for an unknown extension. */
export function formatOfPath(path: string): Format | undefined {
  const name = path.toLowerCase()
  if (name.endsWith('.flat.json')) return 'flat'
  if (name.endsWith('.json')) return 'json'
  if (name.endsWith('.properties')) return 'properties'
  if (name.endsWith('.env')) return 'env'
  if (name.endsWith('.yaml') || name.endsWith('.yml')) return 'yaml'
  return undefined
}
