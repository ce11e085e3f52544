/**
 * The HTTP contract between the sidecar and the apps beside it: paths, header names and error
 * codes. Both apps import these names so the contract lives in one place.
 */

/** Paths served by the sidecar on 127.0.0.1:CONFIG_SERVER_PORT. */
export const SIDECAR_PATHS = {
  config: '/config/',
  livez: '/livez',
  readyz: '/readyz',
  status: '/status',
  metrics: '/metrics',
  refresh: '/refresh',
} as const

/** Response headers carried by every config answer (lower case, as Node presents them). */
export const CONFIG_HEADERS = {
  etag: 'etag',
  version: 'x-config-version',
  stale: 'x-config-stale',
  age: 'age',
  cacheControl: 'cache-control',
} as const

/** Stable error codes. The README lists each with the situation that produces it. */
export const ERROR_CODES = [
  // Served by the sidecar's HTTP layer.
  'ERR_CONFIG_NOT_READY',
  'ERR_CONFIG_TOO_STALE',
  'ERR_CONFIG_PATH_NOT_FOUND',
  'ERR_NOT_FOUND',
  'ERR_METHOD_NOT_ALLOWED',
  'ERR_UNAUTHORIZED',
  'ERR_FORWARDED_REQUEST',
  'ERR_HOST_NOT_ALLOWED',
  'ERR_TOO_MANY_CONNECTIONS',
  'ERR_RATE_LIMITED',
  'ERR_BAD_REQUEST',
  'ERR_INTERNAL',
  // Reported by the sidecar for a refresh (in /status, /metrics, the log and POST /refresh).
  'ERR_SOURCE_NOT_FOUND',
  'ERR_SOURCE_UNREADABLE',
  'ERR_UPSTREAM_UNAVAILABLE',
  'ERR_UPSTREAM_TIMEOUT',
  'ERR_UPSTREAM_HTTP_STATUS',
  'ERR_UPSTREAM_AUTH_FAILED',
  'ERR_DOCUMENT_INVALID',
  'ERR_DOCUMENT_TOO_LARGE',
  'ERR_SECRET_NO_KEYS',
  'ERR_SECRET_KEY_NOT_FOUND',
  'ERR_SECRET_ALGORITHM_REFUSED',
  'ERR_SECRET_MALFORMED',
  'ERR_SECRET_DECRYPTION_FAILED',
  'ERR_SNAPSHOT_UNREADABLE',
  // Served by the demo app.
  'ERR_SIDECAR_UNAVAILABLE',
  'ERR_SIDECAR_NOT_READY',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

/** The JSON body of every error answer. */
export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string }
}

/** Serialises an error body; messages must never hold a secret value. */
export function errorBody(code: ErrorCode, message: string): string {
  const body: ErrorBody = { error: { code, message } }
  return JSON.stringify(body)
}

/** True when `value` has the shape of an {@link ErrorBody}. */
export function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null) return false
  const error = (value as { error?: unknown }).error
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { message?: unknown }).message === 'string'
  )
}
