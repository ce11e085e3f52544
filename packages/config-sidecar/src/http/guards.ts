import { hash, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

// localhost, *.localhost, 127.0.0.0/8 and [::1], with an optional port.
const LOOPBACK_HOST =
  /^(?:localhost|[a-z0-9-]+\.localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/i

/** True when a request came through a proxy: the sidecar only serves its own container. */
export function isForwarded(headers: IncomingHttpHeaders): boolean {
  return headers['x-forwarded-for'] !== undefined || headers.forwarded !== undefined
}

/** True when the Host header names a loopback address (a DNS-rebinding page sends its own name). */
export function isLoopbackHost(host: string | undefined): boolean {
  return host === undefined || LOOPBACK_HOST.test(host)
}

/**
 * Checks `Authorization: Bearer <token>` in constant time. Both sides are hashed first, so neither
 * the token's length nor its content leaks through timing.
 */
export function createBearerCheck(token: string): (authorization: string | undefined) => boolean {
  const expected = hash('sha256', token, 'buffer')
  return (authorization) => {
    if (authorization === undefined) return false
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
    if (match === null) return false
    return timingSafeEqual(hash('sha256', match[1]!, 'buffer'), expected)
  }
}

/** True when an If-None-Match header matches the ETag (weak comparison, as RFC 9110 says for GET). */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false
  if (ifNoneMatch.trim() === '*') return true
  const bare = etag.replace(/^W\//, '')
  return ifNoneMatch.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === bare)
}
