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
  changes: '/changes',
} as const

/** Response headers carried by every config answer (lower case, as Node presents them). */
export const CONFIG_HEADERS = {
  etag: 'etag',
  version: 'x-config-version',
  stale: 'x-config-stale',
  age: 'age',
  cacheControl: 'cache-control',
} as const

/**
 * Every stable error code and the HTTP status it is answered with: one table for the sidecar, the
 * demo app and the dev config server, checked against the reference's error table by the docs
 * test. A refresh failure is reported in /status, /metrics and the log, and `POST /refresh`
 * answers it with 502 (the source, not the caller, is at fault).
 */
export const ERROR_STATUS = {
  // Served by the sidecar's HTTP layer.
  ERR_CONFIG_NOT_READY: 503,
  ERR_CONFIG_TOO_STALE: 503,
  ERR_CONFIG_PATH_NOT_FOUND: 404,
  ERR_NOT_FOUND: 404,
  ERR_METHOD_NOT_ALLOWED: 405,
  ERR_UNAUTHORIZED: 401,
  ERR_FORWARDED_REQUEST: 400,
  ERR_HOST_NOT_ALLOWED: 403,
  ERR_TOO_MANY_CONNECTIONS: 429,
  ERR_RATE_LIMITED: 429,
  ERR_BAD_REQUEST: 400,
  ERR_CHANGES_UNKNOWN_ETAG: 410,
  ERR_INTERNAL: 500,
  // A refresh that failed.
  ERR_SOURCE_NOT_FOUND: 502,
  ERR_SOURCE_UNREADABLE: 502,
  ERR_UPSTREAM_UNAVAILABLE: 502,
  ERR_UPSTREAM_TIMEOUT: 502,
  ERR_UPSTREAM_HTTP_STATUS: 502,
  ERR_UPSTREAM_AUTH_FAILED: 502,
  ERR_DOCUMENT_INVALID: 502,
  ERR_DOCUMENT_TOO_LARGE: 502,
  ERR_SECRET_NO_KEYS: 502,
  ERR_SECRET_KEY_NOT_FOUND: 502,
  ERR_SECRET_ALGORITHM_REFUSED: 502,
  ERR_SECRET_MALFORMED: 502,
  ERR_SECRET_DECRYPTION_FAILED: 502,
  ERR_SNAPSHOT_UNREADABLE: 502,
  // Served by the demo app.
  ERR_SIDECAR_UNAVAILABLE: 503,
  ERR_SIDECAR_NOT_READY: 503,
} as const satisfies Record<`ERR_${string}`, number>

/** Stable error codes. The reference lists each with the situation that produces it. */
export const ERROR_CODES = Object.keys(ERROR_STATUS) as readonly ErrorCode[]

export type ErrorCode = keyof typeof ERROR_STATUS

/** The JSON body of every error answer. */
export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string }
}

/** The HTTP status an error code is answered with. */
export function statusOf(code: ErrorCode): number {
  return ERROR_STATUS[code]
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
