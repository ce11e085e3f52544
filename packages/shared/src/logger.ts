/** Log levels, least to most severe. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** Fields of a log line: keys, codes, counts and durations; never a secret value or token. */
export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined>>

export interface Logger {
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
}

/**
 * A logger writing one JSON object a line, to stdout unless told otherwise (Cloud Foundry and
 * Kubernetes collect stdout). Nothing here inspects values, so callers never pass a secret.
 * `base` fields (such as the service name) go into every line.
 */
export function createLogger(
  options: {
    level?: LogLevel
    write?: (line: string) => void
    now?: () => Date
    base?: LogFields
  } = {},
): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level ?? 'info')
  const write = options.write ?? ((line: string) => void process.stdout.write(line))
  const now = options.now ?? (() => new Date())
  const log = (level: LogLevel, message: string, fields?: LogFields): void => {
    if (LOG_LEVELS.indexOf(level) < threshold) return
    write(
      `${JSON.stringify({ time: now().toISOString(), level, msg: message, ...options.base, ...fields })}\n`,
    )
  }
  return {
    debug: (message, fields) => log('debug', message, fields),
    info: (message, fields) => log('info', message, fields),
    warn: (message, fields) => log('warn', message, fields),
    error: (message, fields) => log('error', message, fields),
  }
}

/** A logger that drops everything, for tests that do not look at logs. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
}
