// A key used for what it is not for: a token whose alg needs another key type (algorithm
// confusion: an RSA-wrapped content key under alg "dir" or "A256KW"), a key whose JWK `alg` names
// another algorithm, a key marked for signatures, an oct key of the wrong size, an encrypted key
// where the alg wants none. Each token is otherwise sound (made by hand with node:crypto, or by
// jose), so only the sidecar's refusal stops it; and each refusal names the key and the reason.
import { constants, createCipheriv, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto'
import type { JsonWebKey } from 'node:crypto'
import type { JWK } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { createDecryptor } from '../../../src/document/crypto/index.js'
import type { SecretDecryptor } from '../../../src/document/crypto/index.js'
import {
  asymmetricKey,
  headerOf,
  joseEncrypt,
  octKey,
  privateSet,
  tamper,
  withHeader,
} from '../../../../../test-support/jose.js'
import type { TestKey } from '../../../../../test-support/jose.js'
import { errorOf } from '../../../../../test-support/sidecar-errors.js'

let rsa: TestKey
let ec: TestKey
let a128: TestKey
let a256: TestKey
let dir128: TestKey
let decryptor: SecretDecryptor

beforeAll(async () => {
  ;[rsa, ec] = await Promise.all([asymmetricKey('RSA', 'rsa-1'), asymmetricKey('EC', 'ec-1')])
  a128 = octKey('a128-1', 16)
  a256 = octKey('a256-1', 32)
  dir128 = octKey('dir-128', 16)
  decryptor = await createDecryptor(privateSet(rsa, ec, a128, a256, dir128), 'CONFIG_KEYS')
})

/** A token whose content key is RSA-OAEP-wrapped to `publicJwk`, under any header. */
function rsaWrapped(publicJwk: JWK, header: Record<string, unknown>, oaepHash: string): string {
  const protectedPart = Buffer.from(JSON.stringify(header)).toString('base64url')
  const cek = randomBytes(32)
  const encryptedKey = publicEncrypt(
    {
      key: createPublicKey({ key: publicJwk as JsonWebKey, format: 'jwk' }),
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash,
    },
    cek,
  )
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', cek, iv)
  cipher.setAAD(Buffer.from(protectedPart, 'ascii'))
  const ciphertext = Buffer.concat([cipher.update('confused', 'utf8'), cipher.final()])
  return [
    protectedPart,
    encryptedKey.toString('base64url'),
    iv.toString('base64url'),
    ciphertext.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
  ].join('.')
}

describe('algorithm confusion', () => {
  it('decrypts the hand-made RSA-OAEP token under its own alg (the maker is sound)', async () => {
    const token = rsaWrapped(
      rsa.publicJwk,
      { alg: 'RSA-OAEP', enc: 'A256GCM', kid: 'rsa-1' },
      'sha1',
    )
    expect((await decryptor.decrypt(token)).toString()).toBe('confused')
  })

  it.each([
    ['dir', 'oct'],
    ['A256KW', 'oct'],
    ['ECDH-ES+A256KW', 'EC'],
  ])('refuses alg %s with the RSA key, whose wrapped key would unwrap', async (alg, needs) => {
    const token = rsaWrapped(rsa.publicJwk, { alg, enc: 'A256GCM', kid: 'rsa-1' }, 'sha1')
    const error = await errorOf(decryptor.decrypt(token))
    expect(error.code).toBe('ERR_SECRET_DECRYPTION_FAILED')
    expect(error.message).toBe(
      `uses alg ${alg}, which needs an ${needs} key, but key "rsa-1" is RSA`,
    )
  })
})

describe('a key limited to one algorithm by its JWK "alg"', () => {
  it('decrypts tokens of that alg and refuses tokens of another, naming both', async () => {
    const limited = { ...rsa, privateJwk: { ...rsa.privateJwk, alg: 'RSA-OAEP-256' } }
    const own = await createDecryptor(privateSet(limited), 'CONFIG_KEYS')
    const right = await joseEncrypt('v', rsa, 'RSA-OAEP-256', 'A256GCM')
    expect((await own.decrypt(right)).toString()).toBe('v')
    const other = await joseEncrypt('v', rsa, 'RSA-OAEP', 'A256GCM')
    const error = await errorOf(own.decrypt(other))
    expect(error.code).toBe('ERR_SECRET_DECRYPTION_FAILED')
    expect(error.message).toBe(
      'uses alg RSA-OAEP, but key "rsa-1" is for RSA-OAEP-256 only (its "alg")',
    )
  })
})

describe('a key marked for signatures', () => {
  it('is refused for decryption, naming its use', async () => {
    const signing = { ...a256, privateJwk: { ...a256.privateJwk, use: 'sig' } }
    const own = await createDecryptor(privateSet(signing), 'CONFIG_KEYS')
    const error = await errorOf(own.decrypt(await joseEncrypt('v', a256, 'A256KW', 'A256GCM')))
    expect(error.code).toBe('ERR_SECRET_DECRYPTION_FAILED')
    expect(error.message).toBe(
      'cannot be decrypted with key "a256-1": its "use" is "sig", not "enc"',
    )
    // "enc" is the use that decrypts.
    const encrypting = { ...a256, privateJwk: { ...a256.privateJwk, use: 'enc' } }
    const fine = await createDecryptor(privateSet(encrypting), 'CONFIG_KEYS')
    expect((await fine.decrypt(await joseEncrypt('v', a256, 'A256KW', 'A256GCM'))).toString()).toBe(
      'v',
    )
  })
})

describe('an oct key of the wrong size', () => {
  it('says which size an A*KW token needs', async () => {
    const token = await joseEncrypt('v', a256, 'A256KW', 'A256GCM')
    const error = await errorOf(
      decryptor.decrypt(withHeader(token, { ...headerOf(token), alg: 'A128KW' })),
    )
    expect(error.code).toBe('ERR_SECRET_DECRYPTION_FAILED')
    expect(error.message).toBe(
      'could not be decrypted with key "a256-1" (A128KW needs a 128-bit key, not 256)',
    )
    const other = await joseEncrypt('v', a128, 'A128KW', 'A128GCM')
    const error256 = await errorOf(
      decryptor.decrypt(withHeader(other, { ...headerOf(other), alg: 'A256KW' })),
    )
    expect(error256.message).toBe(
      'could not be decrypted with key "a128-1" (A256KW needs a 256-bit key, not 128)',
    )
  })

  it('says which size a dir token needs for its enc', async () => {
    const token = await joseEncrypt('v', dir128, 'dir', 'A128GCM')
    const error = await errorOf(
      decryptor.decrypt(withHeader(token, { ...headerOf(token), enc: 'A256GCM' })),
    )
    expect(error.code).toBe('ERR_SECRET_DECRYPTION_FAILED')
    expect(error.message).toBe(
      'could not be decrypted with key "dir-128" (dir with A256GCM needs a 256-bit key, not 128)',
    )
  })

  it('refuses a dir token that carries an encrypted key (it is not authenticated)', async () => {
    const token = await joseEncrypt('v', dir128, 'dir', 'A128GCM')
    const parts = token.split('.')
    parts[1] = randomBytes(24).toString('base64url')
    const error = await errorOf(decryptor.decrypt(parts.join('.')))
    expect(error.code).toBe('ERR_SECRET_DECRYPTION_FAILED')
    expect(error.message).toContain('dir needs an empty encrypted key')
  })
})

describe('a changed token', () => {
  it('is refused naming the key and "wrong key or tampered", with the cause kept', async () => {
    for (const [key, alg] of [
      [rsa, 'RSA-OAEP-256'],
      [ec, 'ECDH-ES+A128KW'],
      [a256, 'A256KW'],
    ] as const) {
      const token = await joseEncrypt('v', key, alg, 'A256GCM')
      const error = await errorOf(decryptor.decrypt(tamper(token, 3)))
      expect(error.code).toBe('ERR_SECRET_DECRYPTION_FAILED')
      expect(error.message).toBe(
        `could not be decrypted with key "${key.kid}" (wrong key or tampered)`,
      )
      // The content decryption's own error is kept for debugging, never in the message.
      expect(error.cause).toBeInstanceOf(Error)
    }
    const wrapped = await joseEncrypt('v', a256, 'A256KW', 'A256GCM')
    const badKey = await errorOf(decryptor.decrypt(tamper(wrapped, 1)))
    expect(badKey.message).toBe('could not be decrypted with key "a256-1" (wrong key or tampered)')
  })
})
