import type { IncomingHttpHeaders } from 'node:http'

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
