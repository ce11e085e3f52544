// The shipped demo key set (samples/demo-only.private.jwks.json) is public: its private keys are in
// the repository, so anything encrypted to them is readable by anyone who has it. The sidecar says
// so when CONFIG_KEYS holds one of them, found by kid or, for a copy under another kid, by the RFC
// 7638 thumbprint of its public part. Nothing here loads node-jose or reads key material beyond
// the public members.
import { createHash } from 'node:crypto'
import type { Logger } from '../support/logger.js'

/** The kids of the shipped demo key set. */
export const DEMO_KEY_IDS: readonly string[] = ['demo-only-rsa-2026', 'demo-only-ec-2026']

/**
 * RFC 7638 SHA-256 thumbprints (base64url) of the shipped demo keys' public parts, in the order of
 * DEMO_KEY_IDS. A test checks them against samples/demo-only.public.jwks.json.
 */
export const DEMO_KEY_THUMBPRINTS: readonly string[] = [
  '3ULojTdtrvPfJg0LS4Iusl5WR2nVmbv7qr-fU_Pi1nw',
  'EyFqCNZyzg-SVUTruIR1ktxnKak4LGvUVlSVuovITa4',
]

/** The members of a public key that its RFC 7638 thumbprint covers, by key type. */
const THUMBPRINT_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  RSA: ['e', 'kty', 'n'],
  EC: ['crv', 'kty', 'x', 'y'],
}

/**
 * The RFC 7638 SHA-256 thumbprint of a JWK's public part (RSA and EC keys), or undefined for other
 * keys and for a JWK missing a member. The private members are never read.
 */
export function jwkThumbprint(jwk: unknown): string | undefined {
  if (typeof jwk !== 'object' || jwk === null) return undefined
  const key = jwk as Record<string, unknown>
  const members = typeof key['kty'] === 'string' ? THUMBPRINT_MEMBERS[key['kty']] : undefined
  if (members === undefined) return undefined
  const canonical: Record<string, string> = {}
  for (const member of members) {
    const value = key[member]
    if (typeof value !== 'string') return undefined
    canonical[member] = value
  }
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url')
}

/**
 * The kids of the keys of a JWK Set (JSON text) that are the shipped demo keys: by kid, or by
 * thumbprint whatever their kid. Empty for anything else, a set that is not JSON included (the
 * decryptor reports that).
 */
export function demoKeyIdsIn(jwkSetJson: string): string[] {
  let keys: unknown
  try {
    keys = (JSON.parse(jwkSetJson) as { keys?: unknown } | null)?.keys
  } catch {
    return []
  }
  if (!Array.isArray(keys)) return []
  const found: string[] = []
  for (const jwk of keys as unknown[]) {
    const kid = (jwk as { kid?: unknown } | null)?.kid
    const thumbprint = jwkThumbprint(jwk)
    const isDemo =
      (typeof kid === 'string' && DEMO_KEY_IDS.includes(kid)) ||
      (thumbprint !== undefined && DEMO_KEY_THUMBPRINTS.includes(thumbprint))
    if (isDemo) found.push(typeof kid === 'string' ? kid : `(no kid, thumbprint ${thumbprint!})`)
  }
  return found
}

/**
 * Logs, once, that CONFIG_KEYS holds the shipped demo key (the kids from {@link demoKeyIdsIn}), with
 * the way out; nothing when `kids` is empty. Serving mode and the one-shot mode say it alike.
 */
export function warnOfDemoKey(logger: Logger, kids: readonly string[]): void {
  if (kids.length === 0) return
  logger.warn('CONFIG_KEYS holds the shipped demo key, which is public', {
    kids: kids.join(','),
    reason:
      'its private key is published in the repository: anything encrypted to it is readable by anyone',
    fix: 'make your own keys and encrypt your values to them (from the repository root, after npm run build: node dist/push/sidecar/main.mjs keygen, then node dist/push/sidecar/main.mjs encrypt; see docs/secrets.md), set CONFIG_KEYS to your private key set and remove the demo key (--default-keys); see docs/deploy-cloud-foundry.md or docs/deploy-kubernetes.md',
  })
}
