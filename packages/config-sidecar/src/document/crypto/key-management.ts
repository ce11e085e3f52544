// Key management (RFC 7518 §4): the content encryption key of a token, from its encrypted key (or
// its ephemeral key) and a key imported once at start (keyset.ts), with one Node crypto call per
// step and no key import per token. The content itself is decrypted by node-jose (content.ts).
import { constants, createDecipheriv, privateDecrypt, randomBytes } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { SidecarError } from '../../support/errors.js'
import { CONTENT, keyTypeFor } from './algorithms.js'
import type { JweHeader } from './compact.js'
import { AgreementError, agreeKey } from './ecdh-es.js'
import type { HeldKey } from './keyset.js'

/** RFC 3394's initial value: an unwrap that ends with another value failed its integrity check. */
const KEY_WRAP_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex')

/** The message of every failure a wrong key or a changed token can cause: one answer for all. */
export const WRONG_KEY_OR_TAMPERED = 'wrong key or tampered'

export function decryptionFailed(key: HeldKey, why: string): SidecarError {
  return new SidecarError(
    'ERR_SECRET_DECRYPTION_FAILED',
    `could not be decrypted with key "${key.kid}" (${why})`,
  )
}

/**
 * Refuses a key that cannot serve the token's `alg`: another key type, a JWK `alg` that differs,
 * a key marked for signatures. Throws ERR_SECRET_DECRYPTION_FAILED; nothing secret is touched.
 */
export function checkKeyFits(key: HeldKey, header: JweHeader): void {
  const needed = keyTypeFor(header.alg)
  if (key.kty !== needed) {
    throw new SidecarError(
      'ERR_SECRET_DECRYPTION_FAILED',
      `uses alg ${header.alg}, which needs an ${needed} key, but key "${key.kid}" is ${key.kty}`,
    )
  }
  // A JWK's `alg` limits the key to that algorithm (RFC 7517 §4.4).
  if (key.alg !== undefined && key.alg !== header.alg) {
    throw new SidecarError(
      'ERR_SECRET_DECRYPTION_FAILED',
      `uses alg ${header.alg}, but key "${key.kid}" is for ${key.alg} only (its "alg")`,
    )
  }
  if (key.use !== undefined && key.use !== 'enc') {
    throw new SidecarError(
      'ERR_SECRET_DECRYPTION_FAILED',
      `cannot be decrypted with key "${key.kid}": its "use" is ${JSON.stringify(key.use)}, not "enc"`,
    )
  }
}

/**
 * The content encryption key of a token, `CONTENT[enc].keyBytes` long. Throws
 * ERR_SECRET_DECRYPTION_FAILED when it cannot be had. An RSA-OAEP unwrap that fails does not throw:
 * a random key takes its place, so the token fails at its tag like any tampered token, with the
 * same answer and no separate error to learn from (RFC 7516 §11.5).
 */
export function contentKeyFor(key: HeldKey, header: JweHeader): Buffer {
  const keyBytes = CONTENT[header.enc].keyBytes
  const encryptedKey = header.parts[1]
  switch (key.kty) {
    case 'RSA': {
      let cek: Buffer | undefined
      try {
        cek = privateDecrypt(
          {
            key: key.privateKey,
            padding: constants.RSA_PKCS1_OAEP_PADDING,
            oaepHash: header.alg === 'RSA-OAEP-256' ? 'sha256' : 'sha1',
          },
          Buffer.from(encryptedKey, 'base64url'),
        )
      } catch {
        // cek stays undefined: the random key below takes its place.
      }
      return cek !== undefined && cek.length === keyBytes ? cek : randomBytes(keyBytes)
    }
    case 'EC': {
      const direct = header.alg === 'ECDH-ES'
      if (direct && encryptedKey !== '') {
        throw decryptionFailed(key, 'ECDH-ES needs an empty encrypted key')
      }
      const wrapBytes = header.alg === 'ECDH-ES+A128KW' ? 16 : 32
      let agreed: Buffer
      try {
        agreed = direct
          ? agreeKey(key, header, header.enc, keyBytes)
          : agreeKey(key, header, header.alg, wrapBytes)
      } catch (error) {
        if (error instanceof AgreementError) throw decryptionFailed(key, error.message)
        throw error
      }
      return direct ? agreed : unwrap(key, agreed, wrapBytes, encryptedKey, keyBytes)
    }
    case 'oct': {
      if (header.alg === 'dir') {
        if (encryptedKey !== '') throw decryptionFailed(key, 'dir needs an empty encrypted key')
        if (key.bytes.length !== keyBytes) {
          throw decryptionFailed(
            key,
            `dir with ${header.enc} needs a ${keyBytes * 8}-bit key, not ${key.bytes.length * 8}`,
          )
        }
        return key.bytes
      }
      const wrapBytes = header.alg === 'A128KW' ? 16 : 32
      if (key.bytes.length !== wrapBytes) {
        throw decryptionFailed(
          key,
          `${header.alg} needs a ${wrapBytes * 8}-bit key, not ${key.bytes.length * 8}`,
        )
      }
      return unwrap(key, key.secret, wrapBytes, encryptedKey, keyBytes)
    }
  }
}

/** AES key unwrap (RFC 3394) with OpenSSL's id-aesN-wrap: one call, its integrity check included. */
function unwrap(
  key: HeldKey,
  kek: Buffer | KeyObject,
  kekBytes: number,
  encryptedKey: string,
  keyBytes: number,
): Buffer {
  const wrapped = Buffer.from(encryptedKey, 'base64url')
  // The wrapped key is the content key and one 64-bit block of integrity check.
  if (wrapped.length !== keyBytes + 8) throw decryptionFailed(key, WRONG_KEY_OR_TAMPERED)
  try {
    const decipher = createDecipheriv(`id-aes${kekBytes * 8}-wrap`, kek, KEY_WRAP_IV)
    return Buffer.concat([decipher.update(wrapped), decipher.final()])
  } catch {
    throw decryptionFailed(key, WRONG_KEY_OR_TAMPERED)
  }
}
