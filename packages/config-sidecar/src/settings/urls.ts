// URLs in settings: parsed with a problem naming the variable, and shown without credentials.
import type { EnvReader } from '@sample/shared'

export function parseHttpUrl(read: EnvReader, name: string, raw: string): URL | undefined {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    read.problem(`${name} must be an http(s):// URL (got ${JSON.stringify(displayRaw(raw))})`)
    return undefined
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    read.problem(`${name} must be an http(s):// URL (got ${JSON.stringify(displayUrl(url))})`)
    return undefined
  }
  return url
}

/** A URL without user info, query or fragment: safe for logs, /status and error messages. */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`
}

/**
 * A raw value shown in a problem: the query and fragment (where tokens travel) and URL credentials
 * (up to the last `@`, so a `/` in a password does not stop the cut) are removed, anything long is
 * shortened.
 */
export function displayRaw(raw: string): string {
  const withoutCredentials = raw.replace(/[?#].*$/s, '').replace(/\/\/.*@/s, '//')
  return withoutCredentials.length > 80
    ? `${withoutCredentials.slice(0, 77)}...`
    : withoutCredentials
}
