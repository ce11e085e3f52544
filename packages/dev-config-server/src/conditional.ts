// Conditional requests: does an If-None-Match header name the current ETag?
/**
 * True when `If-None-Match` names `etag` (or is `*`). As RFC 9110 §13.1.2 asks, the comparison is
 * weak: `W/"x"` matches `"x"`.
 */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  if (header.trim() === '*') return true
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .includes(etag)
}
