/** Limits on a config document; the README lists them. */
export const DOCUMENT_LIMITS = {
  /** Largest body accepted from a source, in bytes. */
  maxBytes: 4 * 1024 * 1024,
  /** Deepest nesting of objects and arrays. */
  maxDepth: 64,
  /** Highest list index in a Spring `key[n]` property. */
  maxListIndex: 9_999,
  /** Most YAML aliases expanded in one file (alias bombs). */
  maxYamlAliases: 100,
} as const
