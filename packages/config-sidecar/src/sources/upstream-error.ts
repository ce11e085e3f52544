import { SidecarError } from '../support/errors.js'

/**
 * Turns a network failure from the HTTP client into a SidecarError: timeouts and unreachable hosts
 * are ERR_UPSTREAM_TIMEOUT or ERR_UPSTREAM_UNAVAILABLE. `what` names the endpoint without credentials; the client's own message (which may
 * hold the full URL) is kept only as the cause.
 */
export function upstreamError(error: unknown, what: string): SidecarError {
  if (error instanceof SidecarError) return error
  const code = (error as { code?: unknown }).code
  const name = (error as { name?: unknown }).name
  if (code === 'ETIMEDOUT' || name === 'TimeoutError') {
    const event = (error as { event?: unknown }).event
    return new SidecarError(
      'ERR_UPSTREAM_TIMEOUT',
      `${what} did not answer in time${typeof event === 'string' ? ` (${event})` : ''}`,
      {
        cause: error,
      },
    )
  }
  if (name === 'AbortError' || code === 'ERR_ABORTED') {
    return new SidecarError('ERR_UPSTREAM_UNAVAILABLE', `${what}: the request was cancelled`, {
      cause: error,
    })
  }
  const detail = typeof code === 'string' ? code : 'network error'
  return new SidecarError('ERR_UPSTREAM_UNAVAILABLE', `${what} cannot be reached (${detail})`, {
    cause: error,
  })
}
