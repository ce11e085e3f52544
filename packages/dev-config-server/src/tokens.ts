// OAuth2 client credentials: checking client_secret_basic, issuing and checking bearer tokens.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** Client credentials from an `Authorization: Basic` header (RFC 6749 §2.3.1). */
export interface ClientCredentials {
  readonly id: string
  readonly secret: string
}

/** A token issued to a client. The token itself is never logged. */
export interface IssuedToken {
  readonly accessToken: string
  readonly clientId: string
  readonly expiresIn: number
}

export type TokenCheck = 'valid' | 'missing' | 'invalid' | 'expired'

export interface TokenIssuer {
  /** True when at least one client is configured: config routes then need a token. */
  readonly required: boolean
  /** The client id when the credentials match a configured client, else undefined. */
  authenticate(credentials: ClientCredentials | undefined): string | undefined
  /** Issues a token to an authenticated client. */
  issue(clientId: string): IssuedToken
  /** Checks an `Authorization: Bearer` header. */
  check(authorization: string | undefined): TokenCheck
}

/**
 * Short-lived random bearer tokens for the configured clients. Secrets are compared in constant
 * time (also for unknown client ids); only a SHA-256 of each live token is kept, and expired ones
 * are dropped as new ones are issued.
 */
export function createTokenIssuer(options: {
  clients: Readonly<Record<string, string>>
  ttlSeconds: number
  now?: () => number
}): TokenIssuer {
  const now = options.now ?? Date.now
  const ttlMs = options.ttlSeconds * 1000
  const secrets = new Map(
    Object.entries(options.clients).map(([id, secret]) => [id, digest(secret)]),
  )
  const unknownClient = digest(randomBytes(32).toString('hex'))
  const live = new Map<string, { clientId: string; expiresAt: number }>()

  const prune = (at: number): void => {
    for (const [key, token] of live) if (token.expiresAt <= at) live.delete(key)
  }

  return {
    required: secrets.size > 0,
    authenticate(credentials) {
      if (credentials === undefined || secrets.size === 0) return undefined
      const expected = secrets.get(credentials.id)
      const matches = timingSafeEqual(digest(credentials.secret), expected ?? unknownClient)
      return expected !== undefined && matches ? credentials.id : undefined
    },
    issue(clientId) {
      const at = now()
      prune(at)
      const accessToken = randomBytes(32).toString('base64url')
      live.set(digest(accessToken).toString('hex'), { clientId, expiresAt: at + ttlMs })
      return { accessToken, clientId, expiresIn: options.ttlSeconds }
    },
    check(authorization) {
      const token = bearerToken(authorization)
      if (token === undefined) return authorization === undefined ? 'missing' : 'invalid'
      const found = live.get(digest(token).toString('hex'))
      if (found === undefined) return 'invalid'
      return found.expiresAt > now() ? 'valid' : 'expired'
    },
  }
}

/**
 * Reads `Authorization: Basic base64(urlencode(id):urlencode(secret))`. Undefined when the header
 * is absent or malformed.
 */
export function parseBasicAuthorization(header: string | undefined): ClientCredentials | undefined {
  const match = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header ?? '')
  if (match === null) return undefined
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon === -1) return undefined
  try {
    const id = formDecode(decoded.slice(0, colon))
    const secret = formDecode(decoded.slice(colon + 1))
    return id === '' ? undefined : { id, secret }
  } catch {
    return undefined // bad percent-encoding
  }
}

function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header ?? '')?.[1]
}

function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '))
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest()
}
