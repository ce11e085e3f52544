// The crypto folder's interface: the rest of the sidecar imports from here only. node-jose is used
// in this folder alone, so another JOSE library could replace it here without touching anything
// else. The modules that load node-jose are imported on first use, so a sidecar without keys never
// loads it; with keys, it starts loading as soon as CONFIG_KEYS is known (preloadDecryption).
import { createDecryptor as create, loadContentDecryption } from './decryptor.js'
import type { SecretDecryptor } from './decryptor.js'

export { ALLOWED_ALGS, ALLOWED_ENCS } from './algorithms.js'
export type { SecretDecryptor } from './decryptor.js'
export { generateKeySet } from './keygen.js'
export type { GeneratedKeySet, KeyKind } from './keygen.js'
export { SECRET_PREFIX } from './prefix.js'

/**
 * Builds a decryptor from a JWK Set (JSON text), importing each key once; see decryptor.ts. Resolves
 * without waiting for node-jose to load: the first decryption does.
 */
export function createDecryptor(jwkSetJson: string, where: string): Promise<SecretDecryptor> {
  return new Promise((resolve) => resolve(create(jwkSetJson, where)))
}

/**
 * Starts loading the JOSE code (node-jose, about 1 MB) in the background: called as soon as
 * CONFIG_KEYS is known, so that the load overlaps reading the keys and the source.
 */
export function preloadDecryption(): void {
  void loadContentDecryption()
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
