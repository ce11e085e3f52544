import { SidecarError } from '../../support/errors.js'
import { CONTENT } from './algorithms.js'
import { readCompactHeader } from './compact.js'
import {
  WRONG_KEY_OR_TAMPERED,
  checkKeyFits,
  contentKeyFor,
  decryptionFailed,
} from './key-management.js'
import { importKeySet } from './keyset.js'
import type * as Content from './content.js'

/** Decrypts compact JWEs with the private keys of a JWK Set. */
export interface SecretDecryptor {
  /** The `kid` of every key held, for logs and /status. */
  readonly keyIds: readonly string[]
  /** The plaintext of a compact JWE; throws a SidecarError with an ERR_SECRET_* code. */
  decrypt(compact: string): Promise<Buffer>
}

type ContentModule = typeof Content

/**
 * Starts loading node-jose (content.ts) without waiting for it, and answers the same promise on
 * every call: the sidecar calls it as soon as it knows CONFIG_KEYS is set, so the ~1 MB of JOSE
 * code loads while the keys and the source are read.
 */
export function loadContentDecryption(): Promise<ContentModule> {
  if (contentModule === undefined) {
    contentModule = import('./content.js')
    // A failure surfaces at the first decryption, not as an unhandled rejection.
    contentModule.catch(() => undefined)
  }
  return contentModule
}
let contentModule: Promise<ContentModule> | undefined

/**
 * Builds a decryptor from a JWK Set (JSON text). Keys must be private (or symmetric) and carry a
 * `kid`; each is imported here, once (keyset.ts). Throws ERR_SECRET_NO_KEYS when the set is
 * unusable; the message never quotes key material. node-jose loads in the background: the first
 * decryption waits for it.
 */
export function createDecryptor(jwkSetJson: string, where: string): SecretDecryptor {
  const keys = importKeySet(jwkSetJson, where)
  const loading = loadContentDecryption()
  let content: ContentModule | undefined

  return {
    keyIds: keys.keyIds,
    async decrypt(compact) {
      // The public header first: a refused alg or enc (RSA1_5 above all), zip or crit ends here,
      // before any key is looked up.
      const header = readCompactHeader(compact)
      const key = keys.find(header.kid)
      if (key === undefined) {
        throw header.kid === undefined
          ? new SidecarError(
              'ERR_SECRET_KEY_NOT_FOUND',
              'has no kid and CONFIG_KEYS holds more than one key',
            )
          : new SidecarError(
              'ERR_SECRET_KEY_NOT_FOUND',
              `names kid ${JSON.stringify(header.kid)}, which is not in CONFIG_KEYS`,
            )
      }
      checkKeyFits(key, header)
      const [protectedPart, , ivPart, ciphertextPart, tagPart] = header.parts
      const { ivBytes, tagBytes } = CONTENT[header.enc]
      const iv = Buffer.from(ivPart, 'base64url')
      const tag = Buffer.from(tagPart, 'base64url')
      // A truncated (or padded) tag must not reach a cipher that would check only its prefix.
      if (iv.length !== ivBytes || tag.length !== tagBytes) {
        throw decryptionFailed(key, WRONG_KEY_OR_TAMPERED)
      }
      const contentKey = contentKeyFor(key, header)
      if (content === undefined) content = await loading
      try {
        return await content.decryptContent(
          header.enc,
          contentKey,
          Buffer.from(ciphertextPart, 'base64url'),
          iv,
          tag,
          Buffer.from(protectedPart, 'ascii'),
        )
      } catch (error) {
        // node-jose's messages say little ("decryption failed"); the cause is kept for debugging
        // and holds no plaintext.
        throw new SidecarError(
          'ERR_SECRET_DECRYPTION_FAILED',
          `could not be decrypted with key "${key.kid}" (${WRONG_KEY_OR_TAMPERED})`,
          { cause: error },
        )
      }
    },
  }
}
