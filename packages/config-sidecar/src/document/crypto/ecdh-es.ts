// ECDH-ES key agreement (RFC 7518 §4.6) with Node's crypto: the ephemeral public key of the token
// and the private key held since start give the shared secret Z, and the Concat KDF (NIST SP
// 800-56A, one SHA-256 round per 256 bits) turns Z into the content key (ECDH-ES) or into the key
// that unwraps it (ECDH-ES+A128KW, ECDH-ES+A256KW).
//
// node-jose 2.2.0 is not used for this step: it imports the ephemeral key as a JWK and checks the
// point in JavaScript (jsbn) for every token, which costs more than the agreement itself, and its
// Concat KDF counts rounds as ceil(key bytes / hash bits), so it stops after one round and derives
// 32 bytes where A256CBC-HS512 needs 64 (every ECDH-ES + A256CBC-HS512 token fails in node-jose,
// whoever made it). The header was checked by readCompactHeader already.
import { hash } from 'node:crypto'
import type { JweHeader } from './compact.js'
import type { EcKey } from './keyset.js'

/** True for the pair node-jose derives too short a key for (see above): `encrypt` refuses it. */
export function needsOwnEcdhEs(alg: string, enc: string): boolean {
  return alg === 'ECDH-ES' && enc === 'A256CBC-HS512'
}

/** Why a token's key agreement failed; the caller names the key. */
export class AgreementError extends Error {}

/**
 * The key an ECDH-ES token's `epk` agrees with `key`: `keyBytes` long, derived for `algorithmId`
 * (the `enc` for ECDH-ES, the `alg` for ECDH-ES+A*KW). Throws an AgreementError when the ephemeral
 * key is missing, on another curve, not on the curve, or when `apu`/`apv` are not base64url.
 */
export function agreeKey(
  key: EcKey,
  header: JweHeader,
  algorithmId: string,
  keyBytes: number,
): Buffer {
  const epk = header.fields['epk'] as Record<string, unknown> | undefined
  const size = key.coordinateBytes
  if (
    typeof epk !== 'object' ||
    epk === null ||
    epk['kty'] !== 'EC' ||
    epk['crv'] !== key.crv ||
    typeof epk['x'] !== 'string' ||
    typeof epk['y'] !== 'string'
  ) {
    throw new AgreementError(`the ephemeral key must be an EC public key on ${key.crv}`)
  }
  // Only x and y are read: an ephemeral key must never bring a private part along. Each has the
  // exact length of a coordinate, so the point is always uncompressed (0x04 ‖ x ‖ y).
  const x = decodeExact(epk['x'], size)
  const y = decodeExact(epk['y'], size)
  if (x === undefined || y === undefined) {
    throw new AgreementError(`the ephemeral key's coordinates are not ${size} bytes`)
  }
  const point = Buffer.allocUnsafe(1 + 2 * size)
  point[0] = 0x04
  x.copy(point, 1)
  y.copy(point, 1 + size)
  let shared: Buffer
  try {
    // OpenSSL refuses a point that is not on the key's curve (an invalid-curve attack).
    shared = key.ecdh.computeSecret(point)
  } catch {
    throw new AgreementError('bad ephemeral key')
  }
  // Concat KDF: round i hashes i ‖ Z ‖ OtherInfo (32-bit big-endian i, from 1).
  const info = otherInfo(header, algorithmId, keyBytes)
  const input = Buffer.allocUnsafe(4 + shared.length + info.length)
  shared.copy(input, 4)
  info.copy(input, 4 + shared.length)
  const rounds = Math.ceil(keyBytes / 32)
  const derived = rounds === 1 ? undefined : Buffer.allocUnsafe(rounds * 32)
  for (let round = 1; round <= rounds; round += 1) {
    input.writeUInt32BE(round, 0)
    const block = hash('sha256', input, 'buffer')
    if (derived === undefined) return block.subarray(0, keyBytes)
    block.copy(derived, (round - 1) * 32)
  }
  return derived!.subarray(0, keyBytes)
}

/**
 * OtherInfo (RFC 7518 §4.6.2): AlgorithmID ‖ PartyUInfo ‖ PartyVInfo, each length-prefixed, then
 * the key length in bits. Tokens without `apu` and `apv` (most: jose sets neither by default) share
 * one per algorithm and key length.
 */
function otherInfo(header: JweHeader, algorithmId: string, keyBytes: number): Buffer {
  const apu = header.fields['apu']
  const apv = header.fields['apv']
  const cacheKey = `${algorithmId}/${keyBytes}`
  if (apu === undefined && apv === undefined) {
    const cached = WITHOUT_PARTY_INFO.get(cacheKey)
    if (cached !== undefined) return cached
  }
  const info = Buffer.concat([
    lengthPrefixed(Buffer.from(algorithmId, 'ascii')),
    lengthPrefixed(partyInfo(header, 'apu')),
    lengthPrefixed(partyInfo(header, 'apv')),
    uint32(keyBytes * 8),
  ])
  if (apu === undefined && apv === undefined) WITHOUT_PARTY_INFO.set(cacheKey, info)
  return info
}
const WITHOUT_PARTY_INFO = new Map<string, Buffer>()

function partyInfo(header: JweHeader, name: 'apu' | 'apv'): Buffer {
  const value = header.fields[name]
  if (value === undefined) return Buffer.alloc(0)
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]*$/.test(value)) {
    throw new AgreementError(`${name} is not base64url`)
  }
  return Buffer.from(value, 'base64url')
}

function decodeExact(value: string, bytes: number): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(value)) return undefined
  const decoded = Buffer.from(value, 'base64url')
  return decoded.length === bytes ? decoded : undefined
}

function uint32(value: number): Buffer {
  const buffer = Buffer.allocUnsafe(4)
  buffer.writeUInt32BE(value)
  return buffer
}

function lengthPrefixed(data: Buffer): Buffer {
  return Buffer.concat([uint32(data.length), data])
}
