// What `config-sidecar encrypt` and `keygen` make, through the crypto folder's interface (the CLI
// tests run the built process, which mutation testing cannot see): a value encrypted to each kind
// of key decrypts with the private set, with the alg the key type calls for; what encrypt refuses,
// and with which code; and a generated key pair that works, whose public half holds nothing private.
//
// The first test loads node-jose's content algorithms and the encrypt module, so it is the one
// that decrypts every enc and uses every default alg.
import { createPublicKey } from 'node:crypto'
import type { JsonWebKey } from 'node:crypto'
import { CompactEncrypt } from 'jose'
import type { JWK } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  createDecryptor,
  encryptSecret,
  generateKeySet,
} from '../../../src/document/crypto/index.js'
import {
  ENCS,
  asymmetricKey,
  headerOf,
  octKey,
  omit,
  privateSet,
  publicSet,
} from '../../../../../test-support/jose.js'
import type { TestKey } from '../../../../../test-support/jose.js'
import { codeOf, errorOf } from '../../../../../test-support/sidecar-errors.js'

let rsa: TestKey
let ec: TestKey
let oct: TestKey

beforeAll(async () => {
  ;[rsa, ec] = await Promise.all([asymmetricKey('RSA', 'rsa-1'), asymmetricKey('EC', 'ec-1')])
  oct = octKey('oct-1', 32)
})

const compactOf = (secret: string): string => {
  expect(secret.startsWith('{jwe}')).toBe(true)
  return secret.slice('{jwe}'.length)
}

describe('encryptSecret', () => {
  it('encrypts to each key type with its default alg, for every enc, and the private set decrypts it', async () => {
    const decryptor = await createDecryptor(privateSet(rsa, ec, oct), 'CONFIG_KEYS')
    const defaults = [
      [rsa, 'RSA-OAEP-256'],
      [ec, 'ECDH-ES+A256KW'],
      [oct, 'A256KW'],
    ] as const
    for (const [key, alg] of defaults) {
      for (const enc of ENCS) {
        const plaintext = `naïve ☃ ${alg} ${enc}`
        const compact = compactOf(
          await encryptSecret(key === oct ? privateSet(oct) : publicSet(key), plaintext, { enc }),
        )
        expect(headerOf(compact), `${alg} ${enc}`).toMatchObject({ alg, enc, kid: key.kid })
        expect((await decryptor.decrypt(compact)).toString('utf8')).toBe(plaintext)
      }
    }
  })

  it('uses A256GCM by default, the first key of a set without --kid, and the named key with it', async () => {
    const decryptor = await createDecryptor(privateSet(rsa, ec), 'CONFIG_KEYS')
    const first = compactOf(await encryptSecret(publicSet(ec, rsa), 'v'))
    expect(headerOf(first)).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: 'ec-1' })
    const named = compactOf(await encryptSecret(publicSet(ec, rsa), 'v', { kid: 'rsa-1' }))
    expect(headerOf(named)).toMatchObject({ alg: 'RSA-OAEP-256', kid: 'rsa-1' })
    expect((await decryptor.decrypt(named)).toString()).toBe('v')
  })

  it('uses the alg a key names, and an --alg that fits the key', async () => {
    const limited = { ...rsa.publicJwk, alg: 'RSA-OAEP' }
    const byKey = compactOf(await encryptSecret(JSON.stringify({ keys: [limited] }), 'v'))
    expect(headerOf(byKey)).toMatchObject({ alg: 'RSA-OAEP' })
    const chosen = compactOf(await encryptSecret(publicSet(ec), 'v', { alg: 'ECDH-ES' }))
    expect(headerOf(chosen)).toMatchObject({ alg: 'ECDH-ES' })
    const decryptor = await createDecryptor(privateSet(rsa, ec), 'CONFIG_KEYS')
    expect((await decryptor.decrypt(byKey)).toString()).toBe('v')
    expect((await decryptor.decrypt(chosen)).toString()).toBe('v')
  })

  it('refuses a key file that is not a JWK Set (ERR_SECRET_NO_KEYS)', async () => {
    for (const text of ['{"keys":', 'null', '{"keys":[{"kty":"nope"}]}']) {
      const error = await errorOf(encryptSecret(text, 'v'))
      expect(error.code, text).toBe('ERR_SECRET_NO_KEYS')
      expect(error.message).toBe('the key file is not a JWK Set ({"keys":[…]})')
    }
  })

  it('refuses a key without a kid, which no sidecar could find (it would name a thumbprint)', async () => {
    const kidless = JSON.stringify({ keys: [omit(ec.publicJwk, 'kid')] })
    const error = await errorOf(encryptSecret(kidless, 'v'))
    expect(error.code).toBe('ERR_SECRET_NO_KEYS')
    expect(error.message).toBe(
      'the key has no "kid": give it the kid its private key has in CONFIG_KEYS (keygen does)',
    )
  })

  it('refuses an empty set and an unknown kid (ERR_SECRET_KEY_NOT_FOUND)', async () => {
    const empty = await errorOf(encryptSecret('{"keys":[]}', 'v'))
    expect(empty.code).toBe('ERR_SECRET_KEY_NOT_FOUND')
    expect(empty.message).toBe('the key set is empty')
    const unknown = await errorOf(encryptSecret(publicSet(rsa), 'v', { kid: 'rsa-2' }))
    expect(unknown.code).toBe('ERR_SECRET_KEY_NOT_FOUND')
    expect(unknown.message).toBe('no key with kid "rsa-2"')
  })

  it.each([
    [{ alg: 'RSA1_5' }, 'alg RSA1_5 is not accepted'],
    [{ enc: 'A192GCM' }, 'enc A192GCM is not accepted'],
    [{ alg: 'A256KW' }, 'alg A256KW needs an oct key, but key "rsa-1" is RSA'],
  ])('refuses %j: %s (ERR_SECRET_ALGORITHM_REFUSED)', async (options, message) => {
    const error = await errorOf(encryptSecret(publicSet(rsa), 'v', options))
    expect(error.code).toBe('ERR_SECRET_ALGORITHM_REFUSED')
    expect(error.message).toBe(message)
  })

  it('refuses an --alg other than the one the key names', async () => {
    const limited = JSON.stringify({ keys: [{ ...rsa.publicJwk, alg: 'RSA-OAEP' }] })
    const error = await errorOf(encryptSecret(limited, 'v', { alg: 'RSA-OAEP-256' }))
    expect(error.code).toBe('ERR_SECRET_ALGORITHM_REFUSED')
    expect(error.message).toBe(
      'key "rsa-1" is for alg RSA-OAEP only (its "alg"); leave --alg out or use another key',
    )
    // The alg the key names, given again, is fine.
    expect(await codeOf(encryptSecret(limited, 'v', { alg: 'RSA-OAEP' }))).toBe('resolved')
  })

  it('refuses ECDH-ES with A256CBC-HS512 only (node-jose derives too short a key for it)', async () => {
    const error = await errorOf(
      encryptSecret(publicSet(ec), 'v', { alg: 'ECDH-ES', enc: 'A256CBC-HS512' }),
    )
    expect(error.code).toBe('ERR_SECRET_ALGORITHM_REFUSED')
    expect(error.message).toBe(
      'alg ECDH-ES with enc A256CBC-HS512 cannot be made here; use ECDH-ES+A256KW or another enc',
    )
    for (const [alg, enc] of [
      ['ECDH-ES', 'A128CBC-HS256'],
      ['ECDH-ES+A256KW', 'A256CBC-HS512'],
    ]) {
      expect(await codeOf(encryptSecret(publicSet(ec), 'v', { alg, enc })), `${alg} ${enc}`).toBe(
        'resolved',
      )
    }
  })
})

describe('generateKeySet', () => {
  it.each([
    ['rsa', 'RSA', 'RSA-OAEP-256'],
    ['ec', 'EC', 'ECDH-ES+A256KW'],
  ] as const)(
    'makes a %s key pair for %s / %s that decrypts what is encrypted to its public half',
    async (kind, kty, alg) => {
      const generated = await generateKeySet(kind, 'k-1')
      expect(generated).toMatchObject({ kid: 'k-1', alg })
      const [privateJwk] = generated.privateJwks.keys as JWK[]
      const [publicJwk] = generated.publicJwks.keys as JWK[]
      expect(generated.privateJwks.keys).toHaveLength(1)
      expect(generated.publicJwks.keys).toHaveLength(1)
      expect(privateJwk).toMatchObject({ kty, kid: 'k-1', alg, use: 'enc' })
      expect(publicJwk).toMatchObject({ kty, kid: 'k-1', alg, use: 'enc' })
      // The public half holds no private field.
      for (const field of ['d', 'p', 'q', 'dp', 'dq', 'qi'])
        expect(publicJwk).not.toHaveProperty(field)
      if (kind === 'rsa') {
        const modulus = createPublicKey({ key: publicJwk as JsonWebKey, format: 'jwk' })
        expect(modulus.asymmetricKeyDetails?.modulusLength).toBe(3072)
      } else {
        expect(publicJwk).toMatchObject({ crv: 'P-256' })
      }
      // An independent library encrypts to the public half; the private half decrypts.
      const compact = await new CompactEncrypt(new TextEncoder().encode('generated'))
        .setProtectedHeader({ alg, enc: 'A256GCM', kid: 'k-1' })
        .encrypt(omit(publicJwk!, 'kid', 'use', 'alg'))
      const decryptor = await createDecryptor(JSON.stringify(generated.privateJwks), 'CONFIG_KEYS')
      expect((await decryptor.decrypt(compact)).toString()).toBe('generated')
      // And `encrypt` with the public set makes what the private set decrypts.
      const secret = await encryptSecret(JSON.stringify(generated.publicJwks), 'again')
      expect((await decryptor.decrypt(compactOf(secret))).toString()).toBe('again')
    },
  )

  it('names a key by today’s date and a random suffix when no kid is given', async () => {
    const today = new Date().toISOString().slice(0, 10)
    const [first, second] = await Promise.all([generateKeySet('ec'), generateKeySet('ec')])
    expect(first.kid).toMatch(new RegExp(`^${today}-[0-9a-f]{6}$`))
    expect(second.kid).toMatch(new RegExp(`^${today}-[0-9a-f]{6}$`))
    expect(first.kid).not.toBe(second.kid)
  })
})
