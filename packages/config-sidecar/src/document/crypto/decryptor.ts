import type { JsonWebKey } from 'node:crypto'
import jose from 'node-jose'
import { SidecarError } from '../../support/errors.js'
import { ALLOWED_ALGS, ALLOWED_ENCS, keyTypeFor } from './algorithms.js'
import { readCompactHeader } from './compact.js'
import { decryptEcdhEsDirect, needsOwnEcdhEs } from './ecdh-es.js'

/** Decrypts compact JWEs with the private keys of a JWK Set. */
export interface SecretDecryptor {
  /** The `kid` of every key held, for logs and /status. */
  readonly keyIds: readonly string[]
  /** The plaintext of a compact JWE; throws a SidecarError with an ERR_SECRET_* code. */
  decrypt(compact: string): Promise<Buffer>
}

/**
 * Builds a decryptor from a JWK Set (JSON text). Keys must be private (or symmetric) and carry a
 * `kid`. Throws ERR_SECRET_NO_KEYS when the set is unusable; the message never quotes key material.
 */
export async function createDecryptor(jwkSetJson: string, where: string): Promise<SecretDecryptor> {
  let parsed: unknown
  try {
    parsed = JSON.parse(jwkSetJson)
  } catch {
    throw new SidecarError('ERR_SECRET_NO_KEYS', `${where} is not JSON (a JWK Set: {"keys":[…]})`)
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new SidecarError(
      'ERR_SECRET_NO_KEYS',
      `${where} must be a JWK Set with at least one key ({"keys":[…]})`,
    )
  }
  const keystore = jose.JWK.createKeyStore()
  const keyIds: string[] = []
  for (const [index, jwk] of keys.entries()) {
    const kid = (jwk as { kid?: unknown } | null)?.kid
    if (typeof kid !== 'string' || kid === '') {
      throw new SidecarError('ERR_SECRET_NO_KEYS', `${where}: key ${index} has no kid`)
    }
    if (keyIds.includes(kid))
      throw new SidecarError('ERR_SECRET_NO_KEYS', `${where}: kid "${kid}" appears twice`)
    let key: jose.JWK.Key
    try {
      key = await keystore.add(jwk as object)
    } catch {
      throw new SidecarError('ERR_SECRET_NO_KEYS', `${where}: key "${kid}" is not a valid JWK`)
    }
    if (key.kty !== 'oct' && typeof (jwk as { d?: unknown }).d !== 'string') {
      throw new SidecarError(
        'ERR_SECRET_NO_KEYS',
        `${where}: key "${kid}" is a public key; the sidecar needs the private key`,
      )
    }
    keyIds.push(kid)
  }

  const allowed = { algorithms: [...ALLOWED_ALGS, ...ALLOWED_ENCS] }

  return {
    keyIds,
    async decrypt(compact) {
      const header = readCompactHeader(compact)
      const candidates =
        header.kid === undefined ? keystore.all() : keystore.all({ kid: header.kid })
      if (header.kid !== undefined && candidates.length === 0) {
        throw new SidecarError(
          'ERR_SECRET_KEY_NOT_FOUND',
          `names kid "${header.kid}", which is not in CONFIG_KEYS`,
        )
      }
      if (header.kid === undefined && candidates.length !== 1) {
        throw new SidecarError(
          'ERR_SECRET_KEY_NOT_FOUND',
          'has no kid and CONFIG_KEYS holds more than one key',
        )
      }
      const key = candidates[0]!
      const needed = keyTypeFor(header.alg)
      if (key.kty !== needed) {
        throw new SidecarError(
          'ERR_SECRET_DECRYPTION_FAILED',
          `uses alg ${header.alg}, which needs an ${needed} key, but key "${key.kid}" is ${key.kty}`,
        )
      }
      // A JWK's `alg` limits the key to that algorithm (RFC 7517 §4.4; node-jose enforces it).
      if (key.alg && key.alg !== header.alg) {
        throw new SidecarError(
          'ERR_SECRET_DECRYPTION_FAILED',
          `uses alg ${header.alg}, but key "${key.kid}" is for ${key.alg} only (its "alg")`,
        )
      }
      if (needsOwnEcdhEs(header.alg, header.enc)) {
        return decryptEcdhEsDirect(key.toJSON(true) as JsonWebKey, compact, key.kid)
      }
      try {
        const result = await jose.JWE.createDecrypt(key, allowed).decrypt(compact)
        return result.plaintext
      } catch (error) {
        // node-jose's messages say little ("decryption failed"); the cause is kept for debugging
        // and holds no plaintext.
        throw new SidecarError(
          'ERR_SECRET_DECRYPTION_FAILED',
          `could not be decrypted with key "${key.kid}" (wrong key or tampered)`,
          {
            cause: error,
          },
        )
      }
    },
  }
}
