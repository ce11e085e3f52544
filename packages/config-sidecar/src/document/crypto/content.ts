// Content decryption (RFC 7518 §5: AES-GCM, and AES-CBC with HMAC-SHA-2) by node-jose, the
// sidecar's JOSE library, given the content key key-management.ts found: node-jose gets bytes,
// never a key to import. Its Node implementation is one createDecipheriv (and one createHmac for
// CBC), so this step costs what Node's own call costs.
//
// This module is what the decryptor loads node-jose for, and it loads only node-jose's two content
// algorithm modules: the same functions `JWA.decrypt(enc, …)` dispatches to, without the JWK, JWS,
// JWE and key management modules the sidecar does not use. That halves what node-jose adds to a
// start with secrets (bench/startup.mjs; docs/benchmarks.md). The interop tests run every enc
// through it; the CLI's `encrypt` uses the whole library (encrypt.ts).
import aesCbcHmac from 'node-jose/lib/algorithms/aes-cbc-hmac-sha2.js'
import aesGcm from 'node-jose/lib/algorithms/aes-gcm.js'
import type { ContentEnc } from './algorithms.js'

const ALGORITHMS = {
  A128GCM: aesGcm['A128GCM'],
  A256GCM: aesGcm['A256GCM'],
  'A128CBC-HS256': aesCbcHmac['A128CBC-HS256'],
  'A256CBC-HS512': aesCbcHmac['A256CBC-HS512'],
} satisfies Record<ContentEnc, unknown>

/** The plaintext, or a rejection (wrong key, changed ciphertext, iv, tag or header). */
export function decryptContent(
  enc: ContentEnc,
  contentKey: Buffer,
  ciphertext: Buffer,
  iv: Buffer,
  tag: Buffer,
  aad: Buffer,
): Promise<Buffer> {
  const algorithm = ALGORITHMS[enc]
  if (algorithm === undefined) return Promise.reject(new Error(`node-jose has no ${enc}`))
  return algorithm.decrypt(contentKey, ciphertext, { iv, tag, aad })
}
