import type { ErrorCode } from '@sample/shared'

/**
 * The one error class of the sidecar. `code` is stable and documented; `transient` says whether
 * retrying later may succeed (network trouble, 5xx) or whether the input itself is bad. Messages
 * name keys, paths and URLs without credentials, never a secret value.
 */
export class SidecarError extends Error {
  readonly code: ErrorCode
  readonly transient: boolean

  constructor(
    code: ErrorCode,
    message: string,
    options: { transient?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SidecarError'
    this.code = code
    this.transient = options.transient ?? false
  }
}

/** Bad settings at start: every problem, one sentence each. */
export class ConfigError extends Error {
  readonly problems: readonly string[]

  constructor(problems: readonly string[]) {
    super(`invalid settings:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`)
    this.name = 'ConfigError'
    this.problems = problems
  }
}

export function isSidecarError(error: unknown): error is SidecarError {
  return error instanceof SidecarError
}

/** Turns anything thrown into a SidecarError, keeping the original as `cause`. */
export function toSidecarError(error: unknown, fallback: ErrorCode = 'ERR_INTERNAL'): SidecarError {
  if (isSidecarError(error)) return error
  return new SidecarError(fallback, 'unexpected failure', { cause: error })
}
