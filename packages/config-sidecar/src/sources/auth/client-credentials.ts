import type { ValueRef } from '@sample/shared'
import { SidecarError } from '../../support/errors.js'
import { upstreamError } from '../upstream-error.js'
import { readValueRef } from '../../settings/value-ref.js'
import type { TokenProvider } from './token-provider.js'

export interface ClientCredentialsOptions {
  readonly clientId: string
  readonly clientSecret: ValueRef
  readonly tokenUrl: URL
  readonly timeoutMs?: number
  readonly now?: () => number
}

/** Lifetime assumed when the token endpoint gives no `expires_in`. */
const DEFAULT_LIFETIME_MS = 5 * 60_000

/**
 * OAuth2 client credentials (RFC 6749 §4.4) with client_secret_basic. The token is cached until
 * shortly before it expires (a fifth of its lifetime, at most 30 s early); concurrent callers share
 * one request; a file-backed secret is read at each request so rotation needs no restart.
 */
export function createClientCredentialsProvider(options: ClientCredentialsOptions): TokenProvider {
  const now = options.now ?? Date.now
  const display = `${options.tokenUrl.protocol}//${options.tokenUrl.host}${options.tokenUrl.pathname}`
  let cached: { token: string; refreshAt: number } | undefined
  let pending: Promise<string> | undefined

  const request = async (signal?: AbortSignal): Promise<string> => {
    const secret = await readValueRef(options.clientSecret, 'CONFIG_CLIENT_SECRET')
    const basic = Buffer.from(`${formEncode(options.clientId)}:${formEncode(secret)}`).toString(
      'base64',
    )
    const started = now()
    let response
    try {
      const { default: got } = await import('got')
      response = await got.post(options.tokenUrl, {
        headers: { authorization: `Basic ${basic}`, accept: 'application/json' },
        form: { grant_type: 'client_credentials' },
        responseType: 'text',
        throwHttpErrors: false,
        followRedirect: false,
        retry: { limit: 0 },
        timeout: { request: options.timeoutMs ?? 10_000 },
        ...(signal === undefined ? {} : { signal }),
      })
    } catch (error) {
      throw upstreamError(error, `token endpoint ${display}`)
    }
    if (response.statusCode === 400 || response.statusCode === 401 || response.statusCode === 403) {
      throw new SidecarError(
        'ERR_UPSTREAM_AUTH_FAILED',
        `token endpoint ${display} refused the client credentials (HTTP ${response.statusCode})`,
      )
    }
    if (response.statusCode !== 200) {
      throw new SidecarError(
        'ERR_UPSTREAM_HTTP_STATUS',
        `token endpoint ${display} answered HTTP ${response.statusCode}`,
      )
    }
    let body: { access_token?: unknown; expires_in?: unknown; token_type?: unknown } | null
    try {
      body = JSON.parse(response.body) as typeof body
    } catch {
      throw new SidecarError(
        'ERR_UPSTREAM_AUTH_FAILED',
        `token endpoint ${display} answered something that is not JSON`,
      )
    }
    // JSON that is no object (`null`, a string, a list) has no access_token either.
    if (
      typeof body !== 'object' ||
      body === null ||
      typeof body.access_token !== 'string' ||
      body.access_token === ''
    ) {
      throw new SidecarError(
        'ERR_UPSTREAM_AUTH_FAILED',
        `token endpoint ${display} answered without an access_token`,
      )
    }
    const lifetimeMs =
      typeof body.expires_in === 'number' && body.expires_in > 0
        ? body.expires_in * 1000
        : DEFAULT_LIFETIME_MS
    cached = {
      token: body.access_token,
      refreshAt: started + lifetimeMs - Math.min(30_000, lifetimeMs / 5),
    }
    return body.access_token
  }

  return {
    token(signal) {
      if (cached !== undefined && now() < cached.refreshAt) return Promise.resolve(cached.token)
      pending ??= request(signal).finally(() => {
        pending = undefined
      })
      return pending
    },
    invalidate(token) {
      if (cached?.token === token) cached = undefined
    },
  }
}

// RFC 6749 §2.3.1: the client id and secret are form-encoded before they are joined and base64-encoded.
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2)
}
