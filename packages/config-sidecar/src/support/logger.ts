// The sidecar logs through the shared JSON-lines logger.
export { LOG_LEVELS, createLogger, silentLogger } from '@sample/shared'
export type { LogFields, LogLevel, Logger } from '@sample/shared'
