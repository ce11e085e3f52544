import type { ErrorCode } from '@sample/shared'

/**
 * The one error class of the sidecar. `code` is stable and documented, and names the HTTP status
 * it is answered with (ERROR_STATUS in @sample/shared). Messages name keys, paths and URLs without
 * credentials, never a secret value. Every failed refresh is retried on the same backoff, whatever
 * its code: an upstream that answers garbage today may be fixed in a minute.
 */
export class SidecarError extends Error {
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SidecarError'
    this.code = code
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
