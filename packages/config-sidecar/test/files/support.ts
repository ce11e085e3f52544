// Shared by the Config-as-files tests: served configs, a logger that keeps its lines.
import { createServedConfig } from '../../src/state/served-config.js'
import type { ServedConfig } from '../../src/state/served-config.js'
import { createLogger } from '../../src/support/logger.js'
import type { Logger } from '../../src/support/logger.js'

/** A served config of `document` with the given version. */
export function config(document: Record<string, unknown>, version: string): ServedConfig {
  return createServedConfig({ document, secretPaths: [], version })
}

/** A logger whose JSON lines are kept, parsed. */
export function recordingLogger(): {
  logger: Logger
  lines: Record<string, unknown>[]
  text: () => string
} {
  const raw: string[] = []
  const logger = createLogger({ level: 'debug', write: (line) => raw.push(line) })
  return {
    logger,
    get lines() {
      return raw.map((line) => JSON.parse(line) as Record<string, unknown>)
    },
    text: () => raw.join('\n'),
  }
}
