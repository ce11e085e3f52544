// The crypto folder's interface: the rest of the sidecar imports from here only. node-jose is used
// in this folder alone, so another JOSE library could replace it here without touching anything
// else. The modules that load node-jose are imported on first use, so a sidecar without secrets
// never loads it.
import type { SecretDecryptor } from './decryptor.js'

export { ALLOWED_ALGS, ALLOWED_ENCS } from './algorithms.js'
export type { SecretDecryptor } from './decryptor.js'
export { generateKeySet } from './keygen.js'
export type { GeneratedKeySet, KeyKind } from './keygen.js'
export { SECRET_PREFIX } from './prefix.js'

/** Builds a decryptor from a JWK Set (JSON text); see decryptor.ts. */
export async function createDecryptor(jwkSetJson: string, where: string): Promise<SecretDecryptor> {
  const { createDecryptor: create } = await import('./decryptor.js')
  return create(jwkSetJson, where)
}

/** Encrypts a value to a key of a JWK Set and returns `{jwe}<compact>`; see encrypt.ts. */
export async function encryptSecret(
  jwkSetJson: string,
  plaintext: string,
  options: { kid?: string | undefined; alg?: string | undefined; enc?: string | undefined } = {},
): Promise<string> {
  const { encryptSecret: encrypt } = await import('./encrypt.js')
  return encrypt(jwkSetJson, plaintext, options)
}
