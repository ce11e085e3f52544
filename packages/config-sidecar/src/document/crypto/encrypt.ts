import jose from 'node-jose'
import { SidecarError } from '../../support/errors.js'
import { isAllowedAlg, isAllowedEnc, keyTypeFor } from './algorithms.js'
import type { ContentEnc, KeyAlg } from './algorithms.js'
import { needsOwnEcdhEs } from './ecdh-es.js'
import { SECRET_PREFIX } from './prefix.js'

const DEFAULT_ALG: Record<string, KeyAlg> = {
  RSA: 'RSA-OAEP-256',
  EC: 'ECDH-ES+A256KW',
  oct: 'A256KW',
}

/**
 * Encrypts a value to a key of a JWK Set (public keys suffice) and returns `{jwe}<compact JWE>`.
 * Picks the key by `kid`, or the set's only (or first) key; `alg` defaults from the key type.
 */
export async function encryptSecret(
  jwkSetJson: string,
  plaintext: string,
  options: { kid?: string | undefined; alg?: string | undefined; enc?: string | undefined } = {},
): Promise<string> {
  let keystore: jose.JWK.KeyStore
  let written: { keys?: { kid?: unknown }[] }
  try {
    written = JSON.parse(jwkSetJson) as typeof written
    keystore = await jose.JWK.asKeyStore(written)
  } catch {
    throw new SidecarError('ERR_SECRET_NO_KEYS', 'the key file is not a JWK Set ({"keys":[…]})')
  }
  const key = options.kid === undefined ? keystore.all()[0] : keystore.get({ kid: options.kid })
  if (key === undefined || key === null) {
    throw new SidecarError(
      'ERR_SECRET_KEY_NOT_FOUND',
      options.kid === undefined ? 'the key set is empty' : `no key with kid "${options.kid}"`,
    )
  }
  const keyAlg = (key.toJSON() as { alg?: string }).alg
  if (!(written.keys ?? []).some((entry) => entry.kid === key.kid)) {
    // node-jose gave the key its thumbprint as kid, and would name that in the header; the sidecar,
    // which finds a secret's key by kid in CONFIG_KEYS (where every key has one), would not find it.
    throw new SidecarError(
      'ERR_SECRET_NO_KEYS',
      'the key has no "kid": give it the kid its private key has in CONFIG_KEYS (keygen does)',
    )
  }
  const alg = options.alg ?? keyAlg ?? DEFAULT_ALG[key.kty]
  const enc = options.enc ?? 'A256GCM'
  if (!isAllowedAlg(alg))
    throw new SidecarError('ERR_SECRET_ALGORITHM_REFUSED', `alg ${String(alg)} is not accepted`)
  if (!isAllowedEnc(enc))
    throw new SidecarError('ERR_SECRET_ALGORITHM_REFUSED', `enc ${enc} is not accepted`)
  if (key.kty !== keyTypeFor(alg)) {
    throw new SidecarError(
      'ERR_SECRET_ALGORITHM_REFUSED',
      `alg ${alg} needs an ${keyTypeFor(alg)} key, but key "${key.kid}" is ${key.kty}`,
    )
  }
  if (keyAlg && alg !== keyAlg) {
    // node-jose refuses it too, with only "unsupported algorithm".
    throw new SidecarError(
      'ERR_SECRET_ALGORITHM_REFUSED',
      `key "${key.kid}" is for alg ${keyAlg} only (its "alg"); leave --alg out or use another key`,
    )
  }
  if (needsOwnEcdhEs(alg, enc)) {
    // node-jose derives too short a key for this pair (see ecdh-es.ts); the sidecar decrypts such
    // tokens from other tools, but cannot make them.
    throw new SidecarError(
      'ERR_SECRET_ALGORITHM_REFUSED',
      `alg ECDH-ES with enc ${enc} cannot be made here; use ECDH-ES+A256KW or another enc`,
    )
  }
  // node-jose names the key's kid in the header itself.
  const fields: { alg: KeyAlg; enc: ContentEnc } = { alg, enc }
  const compact = await jose.JWE.createEncrypt({ format: 'compact', fields }, key)
    .update(Buffer.from(plaintext, 'utf8'))
    .final()
  return `${SECRET_PREFIX}${compact}`
}
