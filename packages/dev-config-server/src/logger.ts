// The JSON-lines logger of the dev config server (the shared one, with its service name).
import { createLogger as createJsonLogger } from '@sample/shared'
import type { LogLevel, Logger } from '@sample/shared'

export { LOG_LEVELS, silentLogger } from '@sample/shared'
export type { LogFields, LogLevel, Logger } from '@sample/shared'

/** The shared JSON-lines logger, with `"service":"dev-config-server"` in every line. */
export function createLogger(
  options: { level?: LogLevel; write?: (line: string) => void } = {},
): Logger {
  return createJsonLogger({ ...options, base: { service: 'dev-config-server' } })
}
