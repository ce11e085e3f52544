// ECDH-ES in direct key agreement mode whose content key is longer than one SHA-256 block, that is
// with A256CBC-HS512. node-jose 2.2.0 cannot do it: its Concat KDF counts rounds as
// ceil(key bytes / hash bits), so it always stops after one round and derives 32 bytes where 64 are
// needed, and every such token fails with "unsupported algorithm" (whoever made it). Here the key is
// agreed with Node's crypto (RFC 7518 §4.6.2: ECDH, then Concat KDF with SHA-256) and the content is
// decrypted by node-jose's own A256CBC-HS512. The header was checked by readCompactHeader already.
import { createHash, createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto'
import type { JsonWebKey } from 'node:crypto'
import jose from 'node-jose'
import { SidecarError } from '../../support/errors.js'

/** Bits of content encryption key each enc needs. */
const CEK_BITS: Record<string, number> = {
  A128GCM: 128,
  A256GCM: 256,
  'A128CBC-HS256': 256,
  'A256CBC-HS512': 512,
}

/** True for the tokens node-jose derives a short content key for (see above). */
export function needsOwnEcdhEs(alg: string, enc: string): boolean {
  return alg === 'ECDH-ES' && (CEK_BITS[enc] ?? 0) > 256
}

/** Decrypts an ECDH-ES (direct) compact JWE with an EC private key; ERR_SECRET_DECRYPTION_FAILED. */
export async function decryptEcdhEsDirect(
  privateJwk: JsonWebKey,
  compact: string,
  keyId: string,
): Promise<Buffer> {
  const [protectedPart = '', encryptedKey, iv = '', ciphertext = '', tag = ''] = compact.split('.')
  const failed = (why: string): SidecarError =>
    new SidecarError(
      'ERR_SECRET_DECRYPTION_FAILED',
      `could not be decrypted with key "${keyId}" (${why})`,
    )
  if (encryptedKey !== '') throw failed('ECDH-ES needs an empty encrypted key')
  const header = JSON.parse(Buffer.from(protectedPart, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >
  const enc = header['enc'] as string
  const epk = header['epk'] as Record<string, unknown> | undefined
  const crv = privateJwk.crv ?? ''
  if (
    typeof epk !== 'object' ||
    epk === null ||
    epk['kty'] !== 'EC' ||
    epk['crv'] !== crv ||
    typeof epk['x'] !== 'string' ||
    typeof epk['y'] !== 'string'
  ) {
    throw failed(`the ephemeral key must be an EC public key on ${crv}`)
  }
  const partyInfo = (name: 'apu' | 'apv'): Buffer => {
    const value = header[name]
    return typeof value === 'string' ? Buffer.from(value, 'base64url') : Buffer.alloc(0)
  }

  let shared: Buffer
  try {
    shared = diffieHellman({
      privateKey: createPrivateKey({ key: privateJwk, format: 'jwk' }),
      // Only the public fields: an ephemeral key must never bring a private part along.
      publicKey: createPublicKey({
        key: { kty: 'EC', crv, x: epk['x'], y: epk['y'] },
        format: 'jwk',
      }),
    })
  } catch (error) {
    throw new SidecarError(
      'ERR_SECRET_DECRYPTION_FAILED',
      `could not be decrypted with key "${keyId}" (bad ephemeral key)`,
      { cause: error },
    )
  }
  const bits = CEK_BITS[enc]!
  const otherInfo = Buffer.concat([
    lengthPrefixed(Buffer.from(enc, 'utf8')),
    lengthPrefixed(partyInfo('apu')),
    lengthPrefixed(partyInfo('apv')),
    uint32(bits),
  ])
  const rounds: Buffer[] = []
  for (let round = 1; round <= Math.ceil(bits / 256); round += 1) {
    rounds.push(
      createHash('sha256').update(uint32(round)).update(shared).update(otherInfo).digest(),
    )
  }
  const contentKey = Buffer.concat(rounds).subarray(0, bits / 8)
  try {
    return await jose.JWA.decrypt(enc, contentKey, Buffer.from(ciphertext, 'base64url'), {
      iv: Buffer.from(iv, 'base64url'),
      aad: Buffer.from(protectedPart, 'ascii'),
      tag: Buffer.from(tag, 'base64url'),
    })
  } catch (error) {
    throw new SidecarError(
      'ERR_SECRET_DECRYPTION_FAILED',
      `could not be decrypted with key "${keyId}" (wrong key or tampered)`,
      { cause: error },
    )
  }
}

function uint32(value: number): Buffer {
  const buffer = Buffer.alloc(4)
  buffer.writeUInt32BE(value)
  return buffer
}

function lengthPrefixed(data: Buffer): Buffer {
  return Buffer.concat([uint32(data.length), data])
}
