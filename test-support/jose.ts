// JOSE for tests: keys and compact JWEs for the secrets tests. Every key is generated when the tests
// run (nothing private is committed) and tokens are made with `jose` (panva), an independent JOSE
// library, so the tests prove interoperability rather than node-jose talking to itself; plus a
// hand-made RSA1_5 token, header and byte surgery on tokens, and random secrets.
import { constants, createCipheriv, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto'
import type { JsonWebKey } from 'node:crypto'
import { CompactEncrypt, exportJWK, generateKeyPair } from 'jose'
import type { JWK } from 'jose'

export const ALGS = [
  'RSA-OAEP-256',
  'RSA-OAEP',
  'ECDH-ES',
  'ECDH-ES+A128KW',
  'ECDH-ES+A256KW',
  'A128KW',
  'A256KW',
  'dir',
] as const
export const ENCS = ['A128GCM', 'A256GCM', 'A128CBC-HS256', 'A256CBC-HS512'] as const
export type Alg = (typeof ALGS)[number]
export type Enc = (typeof ENCS)[number]

/** Bytes of key a `dir` key needs for each content encryption. */
const DIR_KEY_BYTES: Record<Enc, number> = {
  A128GCM: 16,
  A256GCM: 32,
  'A128CBC-HS256': 32,
  'A256CBC-HS512': 64,
}

export interface TestKey {
  readonly kid: string
  /** The private (or symmetric) JWK, as CONFIG_KEYS holds it. */
  readonly privateJwk: JWK
  /** The public JWK (the same as the private one for symmetric keys). */
  readonly publicJwk: JWK
}

/** An RSA or EC key pair made by jose, exported as JWKs with a kid. */
export async function asymmetricKey(
  kind: 'RSA' | 'EC',
  kid: string,
  crv: 'P-256' | 'P-384' | 'P-521' = 'P-256',
): Promise<TestKey> {
  const pair =
    kind === 'RSA'
      ? await generateKeyPair('RSA-OAEP-256', { modulusLength: 2048, extractable: true })
      : await generateKeyPair('ECDH-ES', { crv, extractable: true })
  return {
    kid,
    privateJwk: { ...(await exportJWK(pair.privateKey)), kid },
    publicJwk: { ...(await exportJWK(pair.publicKey)), kid },
  }
}

/** A random symmetric key of `bytes` bytes as an `oct` JWK. */
export function octKey(kid: string, bytes: number): TestKey {
  const jwk: JWK = { kty: 'oct', k: randomBytes(bytes).toString('base64url'), kid }
  return { kid, privateJwk: jwk, publicJwk: jwk }
}

/** Every key the accepted algorithms need: one RSA, one EC, AES-KW keys and a `dir` key per enc. */
export interface KeyRing {
  readonly rsa: TestKey
  readonly ec: TestKey
  readonly a128kw: TestKey
  readonly a256kw: TestKey
  readonly dir: Record<Enc, TestKey>
}

export async function makeKeyRing(): Promise<KeyRing> {
  const [rsa, ec] = await Promise.all([asymmetricKey('RSA', 'rsa-1'), asymmetricKey('EC', 'ec-1')])
  const dir = Object.fromEntries(
    ENCS.map((enc) => [enc, octKey(`dir-${enc}`, DIR_KEY_BYTES[enc])]),
  ) as Record<Enc, TestKey>
  return { rsa, ec, a128kw: octKey('a128kw-1', 16), a256kw: octKey('a256kw-1', 32), dir }
}

/** The key an alg/enc pair uses from the ring. */
export function keyFor(ring: KeyRing, alg: Alg, enc: Enc): TestKey {
  if (alg.startsWith('RSA')) return ring.rsa
  if (alg.startsWith('ECDH')) return ring.ec
  if (alg === 'A128KW') return ring.a128kw
  if (alg === 'A256KW') return ring.a256kw
  return ring.dir[enc]
}

/** Every private key of the ring as one JWK Set (JSON), as CONFIG_KEYS takes it. */
export function privateSet(...keys: TestKey[]): string {
  return JSON.stringify({ keys: keys.map((key) => key.privateJwk) })
}

export function publicSet(...keys: TestKey[]): string {
  return JSON.stringify({ keys: keys.map((key) => key.publicJwk) })
}

export function allKeys(ring: KeyRing): TestKey[] {
  return [ring.rsa, ring.ec, ring.a128kw, ring.a256kw, ...Object.values(ring.dir)]
}

/** A compact JWE made by jose; `header` adds protected header fields (kid defaults to the key's). */
export async function joseEncrypt(
  plaintext: string,
  key: TestKey,
  alg: Alg,
  enc: Enc,
  header: Record<string, unknown> = {},
): Promise<string> {
  const publicJwk = omit(key.publicJwk, 'kid')
  return new CompactEncrypt(new TextEncoder().encode(plaintext))
    .setProtectedHeader({ alg, enc, kid: key.kid, ...header })
    .encrypt(publicJwk)
}

/**
 * A genuine RSA1_5 (RSAES-PKCS1-v1_5) JWE with A128GCM, built by hand with node:crypto because
 * modern libraries (jose included) no longer make them.
 */
export function rsa15Token(publicJwk: JWK, kid: string, plaintext: string): string {
  const protectedHeader = Buffer.from(
    JSON.stringify({ alg: 'RSA1_5', enc: 'A128GCM', kid }),
  ).toString('base64url')
  const cek = randomBytes(16)
  const encryptedKey = publicEncrypt(
    {
      key: createPublicKey({ key: publicJwk as JsonWebKey, format: 'jwk' }),
      padding: constants.RSA_PKCS1_PADDING,
    },
    cek,
  )
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-128-gcm', cek, iv)
  cipher.setAAD(Buffer.from(protectedHeader, 'ascii'))
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return [
    protectedHeader,
    encryptedKey.toString('base64url'),
    iv.toString('base64url'),
    ciphertext.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
  ].join('.')
}

/** A compact JWE with its protected header replaced (the rest kept, so it is structurally valid). */
export function withHeader(compact: string, header: Record<string, unknown>): string {
  const parts = compact.split('.')
  parts[0] = Buffer.from(JSON.stringify(header)).toString('base64url')
  return parts.join('.')
}

export function headerOf(compact: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(compact.split('.')[0]!, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >
}

/** Flips one byte of a part (0 header, 1 key, 2 iv, 3 ciphertext, 4 tag), keeping its length. */
export function tamper(compact: string, part: number): string {
  const parts = compact.split('.')
  const bytes = Buffer.from(parts[part]!, 'base64url')
  bytes[0] = bytes[0]! ^ 0x01
  parts[part] = bytes.toString('base64url')
  return parts.join('.')
}

/** A copy of an object without some of its fields. */
export function omit<T extends object>(value: T, ...fields: string[]): T {
  return Object.fromEntries(Object.entries(value).filter(([field]) => !fields.includes(field))) as T
}

/** A random printable secret that cannot appear anywhere by chance. */
export function randomSecret(label: string): string {
  return `${label}-${randomBytes(18).toString('base64url')}`
}
