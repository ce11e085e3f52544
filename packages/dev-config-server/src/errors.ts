// The error type that carries its HTTP status and code.
/**
 * An error with the HTTP answer it maps to. Messages name files, lines and request parts, never a
 * config value or a credential: they reach both the log and the response body.
 */
export class DevConfigError extends Error {
  readonly status: number
  readonly code: string

  constructor(status: number, code: string, message: string) {
    super(message)
    this.name = 'DevConfigError'
    this.status = status
    this.code = code
  }
}

export function isDevConfigError(error: unknown): error is DevConfigError {
  return error instanceof DevConfigError
}
