/** JSON lines on stdout, like the sidecar's. Fields never hold config values or tokens. */
export interface Logger {
  info(message: string, fields?: Readonly<Record<string, string | number | boolean | null>>): void
  warn(message: string, fields?: Readonly<Record<string, string | number | boolean | null>>): void
}

export function createLogger(
  write: (line: string) => void = (line) => void process.stdout.write(line),
): Logger {
  const log = (level: string, message: string, fields?: Readonly<Record<string, unknown>>): void =>
    write(`${JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields })}\n`)
  return {
    info: (message, fields) => log('info', message, fields),
    warn: (message, fields) => log('warn', message, fields),
  }
}
