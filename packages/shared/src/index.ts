export { formatDurationMs, parseDurationMs } from './duration.js'
export { createEnvReader, unknownNames } from './env.js'
export type { Env, EnvReader, ValueRef } from './env.js'
export {
  CONFIG_HEADERS,
  ERROR_CODES,
  ERROR_STATUS,
  SIDECAR_PATHS,
  errorBody,
  isErrorBody,
  statusOf,
} from './http-contract.js'
export type { ErrorBody, ErrorCode } from './http-contract.js'
export { bearer, defaultTokenPath, privateDir } from './token.js'
export { LOG_LEVELS, createLogger, silentLogger } from './logger.js'
export type { LogFields, LogLevel, Logger } from './logger.js'
export {
  SettingsError,
  cannotStartText,
  isSettingsError,
  reportSettingsProblems,
} from './settings-error.js'
