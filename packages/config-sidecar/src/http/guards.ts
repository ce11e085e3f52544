import type { IncomingHttpHeaders } from 'node:http'
import { statusOf } from '@sample/shared'
import type { ErrorCode } from '@sample/shared'
import type { LogFields, Logger } from '../support/logger.js'

// localhost, *.localhost, 127.0.0.0/8 and [::1], with an optional port.
const LOOPBACK_HOST =
  /^(?:localhost|[a-z0-9-]+\.localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/i

/** True when a request came through a proxy: the sidecar only serves its own container. */
export function isForwarded(headers: IncomingHttpHeaders): boolean {
  return headers['x-forwarded-for'] !== undefined || headers.forwarded !== undefined
}

// Clients send the same Host on every request: remember the few accepted ones instead of
// matching the pattern each time.
const acceptedHosts = new Set<string>()

/** True when the Host header names a loopback address (a DNS-rebinding page sends its own name). */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined || acceptedHosts.has(host)) return true
  if (!LOOPBACK_HOST.test(host)) return false
  if (acceptedHosts.size < 64) acceptedHosts.add(host)
  return true
}

/**
 * Checks `Authorization: Bearer <token>` in constant time for a header of the right length (the
 * length of the token is not secret: generated tokens are always 43 characters). The comparison
 * visits every character whatever it finds, without allocating: hashing both sides, or copying
 * them into buffers for timingSafeEqual, cost a measurable share of the hot path's CPU.
 */
export function createBearerCheck(token: string): (authorization: string | undefined) => boolean {
  const expected = `Bearer ${token}`
  return (authorization) => {
    if (authorization === undefined) return false
    const presented = normalizeScheme(authorization)
    if (presented.length !== expected.length) return false
    let difference = 0
    for (let i = 0; i < expected.length; i += 1)
      difference |= presented.charCodeAt(i) ^ expected.charCodeAt(i)
    return difference === 0
  }
}

// The scheme is case-insensitive and may be followed by several spaces (RFC 9110 §11.1).
function normalizeScheme(authorization: string): string {
  if (authorization.startsWith('Bearer ') && authorization.indexOf(' ', 7) === -1)
    return authorization
  const match = /^bearer\s+(\S+)\s*$/i.exec(authorization)
  return match === null ? '' : `Bearer ${match[1]!}`
}

/** True when an If-None-Match header matches the ETag (weak comparison, as RFC 9110 says for GET). */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false
  if (ifNoneMatch.trim() === '*') return true
  const bare = etag.replace(/^W\//, '')
  return ifNoneMatch.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === bare)
}

/** The kinds of refused local callers; each is logged on its own. */
export type RefusalKind =
  | 'no-token'
  | 'wrong-token'
  | 'forwarded'
  | 'foreign-host'
  | 'too-many-connections'
  | 'method-not-allowed'

/** The code each refusal is answered with (its status comes from the shared table). */
const REFUSALS: Readonly<Record<RefusalKind, ErrorCode>> = {
  'no-token': 'ERR_UNAUTHORIZED',
  'wrong-token': 'ERR_UNAUTHORIZED',
  forwarded: 'ERR_FORWARDED_REQUEST',
  'foreign-host': 'ERR_HOST_NOT_ALLOWED',
  'too-many-connections': 'ERR_TOO_MANY_CONNECTIONS',
  'method-not-allowed': 'ERR_METHOD_NOT_ALLOWED',
}

/** Refusals of one kind past its first line are summed up at most once a minute. */
export const REFUSAL_LOG_WINDOW_MS = 60_000

export interface RefusalLog {
  /**
   * Notes one refused request. `sample` holds facts about it (a Host, a method, a route), each
   * logged in the short, sanitised form of `forLog`: never a token, never the Authorization header.
   */
  record(kind: RefusalKind, sample?: Readonly<Record<string, string | undefined>>): void
  /** Logs the counts still pending and stops (the sidecar stops). */
  close(): void
}

/**
 * The log of refused local callers, rate limited per kind so that a flood cannot flood the log: the
 * first refusal of a kind is logged at once, with its count (1); the next ones within `windowMs`
 * are counted, and at the end of the window one line gives that count (`suppressed`: none of them
 * had a line of its own) and opens another window. A window without refusals ends the series.
 */
export function createRefusalLog(logger: Logger, windowMs = REFUSAL_LOG_WINDOW_MS): RefusalLog {
  const open = new Map<
    RefusalKind,
    { pending: number; sample: LogFields | undefined; timer: NodeJS.Timeout }
  >()
  let closed = false
  const line = (kind: RefusalKind, count: number, suppressed: number, sample?: LogFields): void =>
    logger.warn('refused a local caller', {
      kind,
      status: statusOf(REFUSALS[kind]),
      code: REFUSALS[kind],
      count,
      suppressed,
      ...(suppressed > 0 ? { windowSeconds: Math.round(windowMs / 1000) } : {}),
      ...sample,
    })
  const openWindow = (kind: RefusalKind): void => {
    const timer = setTimeout(() => {
      const window = open.get(kind)
      open.delete(kind)
      if (window === undefined || window.pending === 0) return
      line(kind, window.pending, window.pending, window.sample)
      openWindow(kind)
    }, windowMs)
    timer.unref()
    open.set(kind, { pending: 0, sample: undefined, timer })
  }
  return {
    record(kind, sample) {
      if (closed) return
      const window = open.get(kind)
      if (window !== undefined) {
        window.pending += 1
        window.sample = sanitised(sample)
        return
      }
      line(kind, 1, 0, sanitised(sample))
      openWindow(kind)
    },
    close() {
      closed = true
      for (const [kind, window] of open) {
        clearTimeout(window.timer)
        if (window.pending > 0) line(kind, window.pending, window.pending, window.sample)
      }
      open.clear()
    },
  }
}

function sanitised(
  sample: Readonly<Record<string, string | undefined>> | undefined,
): LogFields | undefined {
  if (sample === undefined) return undefined
  const fields: Record<string, string> = {}
  for (const [name, value] of Object.entries(sample))
    if (value !== undefined) fields[name] = forLog(value)
  return fields
}

/**
 * A header value as a log may hold it: at most `max` characters of `[A-Za-z0-9.:_[]-]`, anything
 * else as `?`, and `…` when cut. For a Host or a method, never for a credential.
 */
export function forLog(value: string | undefined, max = 64): string {
  if (value === undefined) return ''
  const kept = value.slice(0, max).replace(/[^A-Za-z0-9.:_[\]-]/g, '?')
  return value.length > max ? `${kept}…` : kept
}
