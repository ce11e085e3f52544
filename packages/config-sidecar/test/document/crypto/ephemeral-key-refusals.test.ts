// ECDH-ES tokens an attacker can make with the public key alone, each carrying an ephemeral key
// (`epk`) or party info (`apu`, `apv`) that is not what RFC 7518 §4.6 allows: the token is made
// here by hand (the key agreement and Concat KDF written out with node:crypto), so it is otherwise
// sound: the key it derives is the key the sidecar would derive if it read the header leniently.
// Each must be refused with ERR_SECRET_DECRYPTION_FAILED, never decrypted and never a TypeError.
// A well-formed token from the same maker decrypts, so the refusals are the header's doing.
import { createCipheriv, createECDH, createHash, randomBytes } from 'node:crypto'
import { CompactEncrypt } from 'jose'
import type { JWK } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { createDecryptor } from '../../../src/document/crypto/index.js'
import type { SecretDecryptor } from '../../../src/document/crypto/index.js'
import { asymmetricKey, joseEncrypt, omit, privateSet } from '../../../../../test-support/jose.js'
import type { TestKey } from '../../../../../test-support/jose.js'
import { codeOf, errorOf } from '../../../../../test-support/sidecar-errors.js'

let ec: TestKey
let decryptor: SecretDecryptor

beforeAll(async () => {
  ec = await asymmetricKey('EC', 'ec-1')
  decryptor = await createDecryptor(privateSet(ec), 'CONFIG_KEYS')
})

interface Ephemeral {
  readonly x: Buffer
  readonly y: Buffer
}

interface HandMade {
  /** The `epk` the header carries, from the ephemeral key's coordinates. */
  readonly epk?: (ephemeral: Ephemeral) => unknown
  /** More header fields (apu, apv…). */
  readonly header?: Record<string, unknown>
  /** The party info the key derivation uses (what a lenient reader of the header would use). */
  readonly apu?: Buffer
  readonly apv?: Buffer
  /** The encrypted key part, empty for ECDH-ES. */
  readonly encryptedKey?: string
  /** Only an ephemeral key whose x, in standard base64, holds `+` or `/`. */
  readonly xNeedsStandardBase64Chars?: boolean
}

const u32 = (value: number): Buffer => {
  const buffer = Buffer.alloc(4)
  buffer.writeUInt32BE(value)
  return buffer
}
const prefixed = (data: Buffer): Buffer => Buffer.concat([u32(data.length), data])

/** An ECDH-ES / A256GCM token for `recipient` (P-256), made by hand. */
function handMadeEcdhEs(recipient: JWK, plaintext: string, options: HandMade = {}): string {
  let ephemeral = createECDH('prime256v1')
  ephemeral.generateKeys()
  while (
    options.xNeedsStandardBase64Chars === true &&
    !/[+/]/.test(ephemeral.getPublicKey().subarray(1, 33).toString('base64'))
  ) {
    ephemeral = createECDH('prime256v1')
    ephemeral.generateKeys()
  }
  const point = ephemeral.getPublicKey()
  const coordinates = { x: point.subarray(1, 33), y: point.subarray(33, 65) }
  const recipientPoint = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(recipient.x!, 'base64url'),
    Buffer.from(recipient.y!, 'base64url'),
  ])
  const shared = ephemeral.computeSecret(recipientPoint)
  const epk = (options.epk ?? defaultEpk)(coordinates)
  const header = { alg: 'ECDH-ES', enc: 'A256GCM', kid: 'ec-1', epk, ...options.header }
  const protectedPart = Buffer.from(JSON.stringify(header)).toString('base64url')
  const info = Buffer.concat([
    prefixed(Buffer.from('A256GCM')),
    prefixed(options.apu ?? Buffer.alloc(0)),
    prefixed(options.apv ?? Buffer.alloc(0)),
    u32(256),
  ])
  const cek = createHash('sha256')
    .update(Buffer.concat([u32(1), shared, info]))
    .digest()
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', cek, iv)
  cipher.setAAD(Buffer.from(protectedPart, 'ascii'))
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return [
    protectedPart,
    options.encryptedKey ?? '',
    iv.toString('base64url'),
    ciphertext.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
  ].join('.')
}

const defaultEpk = ({ x, y }: Ephemeral): unknown => ({
  kty: 'EC',
  crv: 'P-256',
  x: x.toString('base64url'),
  y: y.toString('base64url'),
})

describe('the hand-made token', () => {
  it('decrypts when its header is well formed (the maker is sound)', async () => {
    expect((await decryptor.decrypt(handMadeEcdhEs(ec.publicJwk, 'made by hand'))).toString()).toBe(
      'made by hand',
    )
    const apu = Buffer.from('sender')
    const withApu = handMadeEcdhEs(ec.publicJwk, 'with apu', {
      header: { apu: apu.toString('base64url') },
      apu,
    })
    expect((await decryptor.decrypt(withApu)).toString()).toBe('with apu')
  })
})

describe('an ephemeral key that is not an EC public key on the key’s curve', () => {
  it.each<[string, (ephemeral: Ephemeral) => unknown]>([
    ['missing', () => undefined],
    ['null', () => null],
    ['a string', ({ x }) => x.toString('base64url')],
    ['without kty', (e) => omit(defaultEpk(e) as object, 'kty')],
    ['of kty RSA', (e) => ({ ...(defaultEpk(e) as object), kty: 'RSA' })],
    ['on another curve by name', (e) => ({ ...(defaultEpk(e) as object), crv: 'P-384' })],
    ['with x a number', (e) => ({ ...(defaultEpk(e) as object), x: 1 })],
    ['with y missing', (e) => omit(defaultEpk(e) as object, 'y')],
    ['with y a list', (e) => ({ ...(defaultEpk(e) as object), y: [1] })],
  ])('is refused: epk %s', async (_what, epk) => {
    const error = await errorOf(decryptor.decrypt(handMadeEcdhEs(ec.publicJwk, 'no', { epk })))
    expect(error.code).toBe('ERR_SECRET_DECRYPTION_FAILED')
    expect(error.message).toContain('key "ec-1"')
    expect(error.message).toMatch(/ephemeral key must be an EC public key on P-256/)
  })
})

describe('coordinates that are not exactly one coordinate of base64url', () => {
  it.each<[string, (ephemeral: Ephemeral) => unknown]>([
    ['x one byte short', (e) => ({ ...(defaultEpk(e) as object), x: b64u(e.x.subarray(1)) })],
    ['y one byte short', (e) => ({ ...(defaultEpk(e) as object), y: b64u(e.y.subarray(1)) })],
    // x carrying the first byte of y: copied into place, the point would still be the right one.
    [
      'x with one byte more',
      (e) => ({ ...(defaultEpk(e) as object), x: b64u(Buffer.concat([e.x, e.y.subarray(0, 1)])) }),
    ],
  ])('refuses %s', async (_what, epk) => {
    const error = await errorOf(decryptor.decrypt(handMadeEcdhEs(ec.publicJwk, 'no', { epk })))
    expect(error.code).toBe('ERR_SECRET_DECRYPTION_FAILED')
    expect(error.message).toMatch(/coordinates are not 32 bytes/)
  })

  it('refuses x in standard base64 (+ and /), which a lenient decoder would read as the same bytes', async () => {
    const token = handMadeEcdhEs(ec.publicJwk, 'no', {
      xNeedsStandardBase64Chars: true,
      epk: (e) => ({ ...(defaultEpk(e) as object), x: e.x.toString('base64').replace(/=+$/, '') }),
    })
    expect(await codeOf(decryptor.decrypt(token))).toBe('ERR_SECRET_DECRYPTION_FAILED')
  })

  it('refuses a point that is not on the curve, saying the ephemeral key is bad', async () => {
    const token = handMadeEcdhEs(ec.publicJwk, 'no', {
      epk: (e) => ({ ...(defaultEpk(e) as object), y: b64u(Buffer.alloc(32, 7)) }),
    })
    const error = await errorOf(decryptor.decrypt(token))
    expect(error.code).toBe('ERR_SECRET_DECRYPTION_FAILED')
    expect(error.message).toContain('(bad ephemeral key)')
  })
})

describe('party info (apu, apv) that is not base64url', () => {
  it.each([
    ['apu', 'c2Vu+ZGVy'],
    ['apv', 'c2lk/ZWNhcg'],
    ['apu', '+c2VuZGVy'],
    ['apv', 'c2lkZWNhcg+'],
  ])(
    'refuses %s %j, though the key would derive from its lenient decoding',
    async (name, value) => {
      const lenient = Buffer.from(value, 'base64url')
      const token = handMadeEcdhEs(ec.publicJwk, 'no', {
        header: { [name]: value },
        [name]: lenient,
      })
      const error = await errorOf(decryptor.decrypt(token))
      expect(error.code).toBe('ERR_SECRET_DECRYPTION_FAILED')
      expect(error.message).toContain(`${name} is not base64url`)
    },
  )

  it('refuses apu or apv that is not a string', async () => {
    for (const header of [{ apu: 42 }, { apv: { a: 1 } }, { apu: null }]) {
      const error = await errorOf(decryptor.decrypt(handMadeEcdhEs(ec.publicJwk, 'no', { header })))
      expect(error.code, JSON.stringify(header)).toBe('ERR_SECRET_DECRYPTION_FAILED')
    }
  })
})

describe('party info in every combination, in any order', () => {
  it('derives each token’s own key (no key derived for other party info is reused)', async () => {
    const apu = new TextEncoder().encode('sender')
    const apv = new TextEncoder().encode('sidecar')
    const make = (parameters: { apu?: Uint8Array; apv?: Uint8Array }, text: string) =>
      new CompactEncrypt(new TextEncoder().encode(text))
        .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM', kid: ec.kid })
        .setKeyManagementParameters(parameters)
        .encrypt(omit(ec.publicJwk, 'kid'))
    const sequence: [{ apu?: Uint8Array; apv?: Uint8Array }, string][] = [
      [{}, 'none'],
      [{ apu }, 'apu only'],
      [{ apv }, 'apv only'],
      [{ apu, apv }, 'both'],
      [{}, 'none again'],
      [{ apu }, 'apu again'],
    ]
    for (const [parameters, text] of sequence) {
      expect((await decryptor.decrypt(await make(parameters, text))).toString(), text).toBe(text)
    }
  })
})

describe('an encrypted key where the alg wants none', () => {
  it('refuses an ECDH-ES token that carries an encrypted key (it is not authenticated)', async () => {
    // The encrypted key is outside the authenticated data: the token would decrypt with it.
    const sound = await joseEncrypt('v', ec, 'ECDH-ES', 'A256GCM')
    const parts = sound.split('.')
    parts[1] = randomBytes(40).toString('base64url')
    const error = await errorOf(decryptor.decrypt(parts.join('.')))
    expect(error.code).toBe('ERR_SECRET_DECRYPTION_FAILED')
    expect(error.message).toContain('ECDH-ES needs an empty encrypted key')
  })
})

function b64u(bytes: Buffer): string {
  return bytes.toString('base64url')
}
