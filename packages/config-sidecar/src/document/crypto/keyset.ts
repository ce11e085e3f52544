// The keys of CONFIG_KEYS, imported once, when the decryptor is made, with Node's crypto: an RSA key
// becomes a KeyObject, an EC key an ECDH object holding its private scalar, an `oct` key its bytes
// (and a KeyObject for AES key wrap). Nothing is imported again per secret. node-jose re-imported
// the key for every token (a JWK through WebCrypto for RSA-OAEP-256, a PEM for RSA-OAEP), which
// cost more than the RSA operation itself. This module does not load node-jose, so the sidecar can
// check the keys (and refuse to start on bad ones) while node-jose is still loading.
import { createECDH, createPrivateKey, createSecretKey } from 'node:crypto'
import type { ECDH, JsonWebKey, KeyObject } from 'node:crypto'
import { SidecarError } from '../../support/errors.js'

/** The curves ECDH-ES accepts: OpenSSL's name and the bytes of a coordinate. */
const CURVES: Readonly<Record<string, { readonly name: string; readonly bytes: number }>> = {
  'P-256': { name: 'prime256v1', bytes: 32 },
  'P-384': { name: 'secp384r1', bytes: 48 },
  'P-521': { name: 'secp521r1', bytes: 66 },
}

interface HeldKeyBase {
  readonly kid: string
  /** The JWK's `alg`: when present, the key may be used with that algorithm only (RFC 7517 §4.4). */
  readonly alg: string | undefined
  /** The JWK's `use`: a key marked `sig` is not for decryption. */
  readonly use: string | undefined
}

export interface RsaKey extends HeldKeyBase {
  readonly kty: 'RSA'
  readonly privateKey: KeyObject
}

export interface EcKey extends HeldKeyBase {
  readonly kty: 'EC'
  readonly crv: string
  /** Bytes of one coordinate of a point (32, 48 or 66). */
  readonly coordinateBytes: number
  /** Holds the private key; `computeSecret` checks that the peer's point is on the curve. */
  readonly ecdh: ECDH
}

export interface OctKey extends HeldKeyBase {
  readonly kty: 'oct'
  /** The key bytes: the content key itself for `dir`. */
  readonly bytes: Buffer
  /** The same key for AES key wrap. */
  readonly secret: KeyObject
}

export type HeldKey = RsaKey | EcKey | OctKey

export interface KeySet {
  /** The `kid` of every key, in the order of the set. */
  readonly keyIds: readonly string[]
  /**
   * The key a token names: its `kid`, matched exactly; a token without `kid` gets the only key of a
   * set of one. Undefined when nothing matches: an empty `kid` matches no key.
   */
  find(kid: string | undefined): HeldKey | undefined
}

/**
 * Parses and imports a JWK Set (JSON text). Keys must be private (or symmetric) and carry a unique,
 * non-empty `kid`. Throws ERR_SECRET_NO_KEYS naming `where` and the kid, never key material.
 */
export function importKeySet(jwkSetJson: string, where: string): KeySet {
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
  const byKid = new Map<string, HeldKey>()
  for (const [index, jwk] of keys.entries()) {
    const kid = (jwk as { kid?: unknown } | null)?.kid
    if (typeof kid !== 'string' || kid === '') {
      throw new SidecarError('ERR_SECRET_NO_KEYS', `${where}: key ${index} has no kid`)
    }
    if (byKid.has(kid))
      throw new SidecarError('ERR_SECRET_NO_KEYS', `${where}: kid "${kid}" appears twice`)
    byKid.set(kid, importKey(jwk as Record<string, unknown>, kid, where))
  }
  const keyIds = [...byKid.keys()]
  const only = byKid.size === 1 ? [...byKid.values()][0] : undefined
  return {
    keyIds,
    find: (kid) => (kid === undefined ? only : byKid.get(kid)),
  }
}

function importKey(jwk: Record<string, unknown>, kid: string, where: string): HeldKey {
  const invalid = (): SidecarError =>
    new SidecarError('ERR_SECRET_NO_KEYS', `${where}: key "${kid}" is not a valid JWK`)
  const { kty, alg, use } = jwk
  if (alg !== undefined && typeof alg !== 'string') throw invalid()
  if (use !== undefined && typeof use !== 'string') throw invalid()
  const base = { kid, alg, use }
  if (kty === 'oct') {
    if (typeof jwk['k'] !== 'string' || !/^[A-Za-z0-9_-]+$/.test(jwk['k'])) throw invalid()
    const bytes = Buffer.from(jwk['k'], 'base64url')
    return { ...base, kty, bytes, secret: createSecretKey(bytes) }
  }
  if (kty !== 'RSA' && kty !== 'EC') {
    throw new SidecarError(
      'ERR_SECRET_NO_KEYS',
      `${where}: key "${kid}" has kty ${JSON.stringify(kty ?? null)}; RSA, EC and oct keys are supported`,
    )
  }
  if (typeof jwk['d'] !== 'string') {
    throw new SidecarError(
      'ERR_SECRET_NO_KEYS',
      `${where}: key "${kid}" is a public key; the sidecar needs the private key`,
    )
  }
  // Node reads the JWK (and checks it: an EC point on its curve, every RSA field present); the
  // error it throws is not passed on, so no field of the key can reach a message.
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' })
  } catch {
    throw invalid()
  }
  if (kty === 'RSA') return { ...base, kty, privateKey }
  const crv = jwk['crv'] as string
  const curve = CURVES[crv]
  if (curve === undefined) {
    throw new SidecarError(
      'ERR_SECRET_NO_KEYS',
      `${where}: key "${kid}" is on curve ${JSON.stringify(crv)}; P-256, P-384 and P-521 are supported`,
    )
  }
  const ecdh = createECDH(curve.name)
  try {
    ecdh.setPrivateKey(Buffer.from(jwk['d'], 'base64url'))
  } catch {
    throw invalid()
  }
  return { ...base, kty, crv, coordinateBytes: curve.bytes, ecdh }
}
