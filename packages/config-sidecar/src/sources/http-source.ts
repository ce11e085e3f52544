import { hash } from 'node:crypto'
import type { TokenProvider } from './auth/token-provider.js'
import { DOCUMENT_LIMITS } from '../support/limits.js'
import { SidecarError } from '../support/errors.js'
import { upstreamError } from './upstream-error.js'
import type { ConfigSource, FetchResult, Validators } from './source.js'

/** Time limits for one fetch, in milliseconds. */
export interface HttpTimeouts {
  /** TCP (and TLS) connection. */
  readonly connectMs: number
  /** From the request sent to the first byte of the response headers. */
  readonly responseMs: number
  /** The whole exchange, body included. */
  readonly totalMs: number
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = {
  connectMs: 5_000,
  responseMs: 10_000,
  totalMs: 30_000,
}

export interface HttpSourceOptions {
  readonly url: URL
  /** The URL without credentials, for messages. */
  readonly display: string
  readonly tokens: TokenProvider | undefined
  readonly timeouts?: HttpTimeouts
  readonly maxBytes?: number
  readonly userAgent?: string
}

const ACCEPT = 'application/json, application/jose;q=0.9, application/yaml;q=0.8, */*;q=0.5'

/**
 * An HTTP(S) upstream: a Spring Cloud Config server or any URL answering JSON, YAML or a JWE.
 * Sends `If-None-Match` / `If-Modified-Since` from the last answer; a 304, or a 200 whose body hashes
 * the same as the last one, is "unchanged" and costs no parsing. A 401 refreshes the token once and
 * retries. Bodies over the limit are cut off as they arrive.
 */
export function createHttpSource(options: HttpSourceOptions): ConfigSource {
  const timeouts = options.timeouts ?? DEFAULT_HTTP_TIMEOUTS
  const maxBytes = options.maxBytes ?? DOCUMENT_LIMITS.maxBytes
  const what = options.display

  const request = async (
    validators: Validators | undefined,
    token: string | undefined,
    signal: AbortSignal,
  ) => {
    const headers: Record<string, string> = { accept: ACCEPT }
    if (options.userAgent !== undefined) headers['user-agent'] = options.userAgent
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`
    if (validators?.etag !== undefined) headers['if-none-match'] = validators.etag
    if (validators?.lastModified !== undefined)
      headers['if-modified-since'] = validators.lastModified
    let tooLarge = false
    try {
      // got is loaded with the first fetch: a sidecar with a file source never loads it.
      const { default: got } = await import('got')
      const pending = got(options.url, {
        headers,
        responseType: 'buffer',
        throwHttpErrors: false,
        retry: { limit: 0 },
        // Redirects stay on the configured origin (scheme, host and port): another origin would
        // serve config nobody configured, and an https-to-http hop would carry the token in clear
        // text (got keeps the Authorization header when only the scheme changes). A refused
        // redirect is answered as its 3xx status.
        followRedirect: (response) =>
          sameOrigin(response.headers.location, response.url, options.url),
        timeout: {
          connect: timeouts.connectMs,
          secureConnect: timeouts.connectMs,
          response: timeouts.responseMs,
          request: timeouts.totalMs,
        },
        signal,
      })
      void pending.on('downloadProgress', (progress: { transferred: number; total?: number }) => {
        if (progress.transferred > maxBytes || (progress.total ?? 0) > maxBytes) {
          tooLarge = true
          pending.cancel()
        }
      })
      return await pending
    } catch (error) {
      if (tooLarge)
        throw new SidecarError(
          'ERR_DOCUMENT_TOO_LARGE',
          `${what} sent a body over the limit of ${maxBytes} bytes`,
        )
      throw upstreamError(error, what)
    }
  }

  return {
    display: options.display,
    kind: 'http',
    async fetch(validators, signal): Promise<FetchResult> {
      let token = await options.tokens?.token(signal)
      let response = await request(validators, token, signal)
      if (response.statusCode === 401 && options.tokens !== undefined && token !== undefined) {
        options.tokens.invalidate(token)
        token = await options.tokens.token(signal)
        response = await request(validators, token, signal)
      }

      const { statusCode } = response
      const next: Validators = {
        etag: header(response.headers.etag) ?? validators?.etag,
        lastModified: header(response.headers['last-modified']) ?? validators?.lastModified,
        contentHash: validators?.contentHash,
      }
      if (statusCode === 304) {
        if (validators === undefined)
          throw new SidecarError(
            'ERR_UPSTREAM_HTTP_STATUS',
            `${what} answered 304 to an unconditional request`,
          )
        return { kind: 'unchanged', validators: next }
      }
      if (statusCode === 401 || statusCode === 403) {
        throw new SidecarError(
          'ERR_UPSTREAM_AUTH_FAILED',
          `${what} refused the credentials (HTTP ${statusCode})`,
        )
      }
      if (statusCode !== 200) {
        const redirect =
          statusCode >= 300 && statusCode < 400 && response.headers.location !== undefined
            ? ' (a redirect to another origin is not followed)'
            : ''
        throw new SidecarError(
          'ERR_UPSTREAM_HTTP_STATUS',
          `${what} answered HTTP ${statusCode}${redirect}`,
        )
      }
      const contentHash = hash('sha256', response.body, 'base64url')
      if (validators?.contentHash === contentHash)
        return { kind: 'unchanged', validators: { ...next, contentHash } }
      return {
        kind: 'changed',
        raw: {
          documents: [
            { body: response.body, contentType: header(response.headers['content-type']) },
          ],
        },
        validators: {
          etag: header(response.headers.etag),
          lastModified: header(response.headers['last-modified']),
          contentHash,
        },
        version: header(response.headers['x-config-version']),
      }
    },
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/** True when a redirect's Location (relative to `current`) is on the origin of `configured`. */
function sameOrigin(location: string | undefined, current: string, configured: URL): boolean {
  if (location === undefined) return false
  try {
    return new URL(location, current).origin === configured.origin
  } catch {
    return false
  }
}
