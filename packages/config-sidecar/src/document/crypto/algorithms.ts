/** Key management algorithms a secret may use. RSA1_5 and everything else are refused. */
export const ALLOWED_ALGS = [
  'RSA-OAEP-256',
  'RSA-OAEP',
  'ECDH-ES',
  'ECDH-ES+A128KW',
  'ECDH-ES+A256KW',
  'A128KW',
  'A256KW',
  'dir',
] as const

/** Content encryption algorithms a secret may use. */
export const ALLOWED_ENCS = ['A128GCM', 'A256GCM', 'A128CBC-HS256', 'A256CBC-HS512'] as const

export type KeyAlg = (typeof ALLOWED_ALGS)[number]
export type ContentEnc = (typeof ALLOWED_ENCS)[number]

/**
 * What each content encryption needs (RFC 7518 §5): bytes of content encryption key, of iv and of
 * authentication tag. A token whose iv or tag has another length is refused before decryption: a
 * truncated tag must never authenticate.
 */
export const CONTENT: Record<ContentEnc, { keyBytes: number; ivBytes: number; tagBytes: number }> =
  {
    A128GCM: { keyBytes: 16, ivBytes: 12, tagBytes: 16 },
    A256GCM: { keyBytes: 32, ivBytes: 12, tagBytes: 16 },
    'A128CBC-HS256': { keyBytes: 32, ivBytes: 16, tagBytes: 16 },
    'A256CBC-HS512': { keyBytes: 64, ivBytes: 16, tagBytes: 32 },
  }

/** The JWK key type each algorithm needs. */
export function keyTypeFor(alg: KeyAlg): 'RSA' | 'EC' | 'oct' {
  if (alg.startsWith('RSA')) return 'RSA'
  if (alg.startsWith('ECDH')) return 'EC'
  return 'oct'
}

export function isAllowedAlg(alg: unknown): alg is KeyAlg {
  return ALLOWED_ALGS.some((allowed) => allowed === alg)
}

export function isAllowedEnc(enc: unknown): enc is ContentEnc {
  return ALLOWED_ENCS.some((allowed) => allowed === enc)
}
