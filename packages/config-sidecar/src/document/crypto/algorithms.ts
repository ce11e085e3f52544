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
