// CONFIG_KEYS the sidecar refuses to start with (ERR_SECRET_NO_KEYS), each refusal naming where the
// keys came from and the key at fault, never a key's material; and the one-key set that a token
// without kid may use. Every decryptor here is made inside its test.
import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createDecryptor } from '../../../src/document/crypto/index.js'
import {
  asymmetricKey,
  joseEncrypt,
  octKey,
  omit,
  privateSet,
} from '../../../../../test-support/jose.js'
import { codeOf, errorOf } from '../../../../../test-support/sidecar-errors.js'

const set = (...keys: unknown[]): string => JSON.stringify({ keys })

describe('a set that cannot be read', () => {
  it('says CONFIG_KEYS is not JSON', async () => {
    const error = await errorOf(createDecryptor('{"keys":[', 'CONFIG_KEYS'))
    expect(error.code).toBe('ERR_SECRET_NO_KEYS')
    expect(error.message).toBe('CONFIG_KEYS is not JSON (a JWK Set: {"keys":[…]})')
  })

  it('refuses a set whose key is null or not an object', async () => {
    for (const key of [null, 7, 'k']) {
      const error = await errorOf(createDecryptor(set(key), 'CONFIG_KEYS'))
      expect(error.code, JSON.stringify(key)).toBe('ERR_SECRET_NO_KEYS')
      expect(error.message).toBe('CONFIG_KEYS: key 0 has no kid')
    }
  })
})

describe('a key that is not a valid JWK', () => {
  it('refuses an alg or use that is not a string', async () => {
    const key = octKey('k-1', 32).privateJwk
    for (const field of [{ alg: 5 }, { use: ['enc'] }]) {
      const error = await errorOf(createDecryptor(set({ ...key, ...field }), 'CONFIG_KEYS'))
      expect(error.code, JSON.stringify(field)).toBe('ERR_SECRET_NO_KEYS')
      expect(error.message).toBe('CONFIG_KEYS: key "k-1" is not a valid JWK')
    }
  })

  it('refuses an oct key whose k is missing, empty or not base64url', async () => {
    const good = octKey('k-1', 32).privateJwk
    const k = String(good.k)
    for (const bad of [undefined, '', 3, `+${k}`, `${k}+`, `${k}=`, `${k.slice(0, 10)}/${k}`]) {
      const error = await errorOf(createDecryptor(set({ ...good, k: bad }), 'CONFIG_KEYS'))
      expect(error.code, String(bad)).toBe('ERR_SECRET_NO_KEYS')
      expect(error.message).toBe('CONFIG_KEYS: key "k-1" is not a valid JWK')
    }
    expect((await createDecryptor(set(good), 'CONFIG_KEYS')).keyIds).toEqual(['k-1'])
  })

  it('refuses a private RSA or EC key that Node cannot read, without quoting it', async () => {
    const rsa = await asymmetricKey('RSA', 'rsa-1')
    const ec = await asymmetricKey('EC', 'ec-1')
    const broken = [
      omit(rsa.privateJwk, 'p', 'q', 'dp', 'dq', 'qi', 'e'),
      omit(rsa.privateJwk, 'p'),
      { ...ec.privateJwk, x: ec.privateJwk.y },
    ]
    for (const key of broken) {
      const error = await errorOf(createDecryptor(set(key), 'CONFIG_KEYS'))
      expect(error.code).toBe('ERR_SECRET_NO_KEYS')
      expect(error.message).toMatch(/^CONFIG_KEYS: key "(rsa|ec)-1" is not a valid JWK$/)
    }
  })
})

describe('a key of a type or curve ECDH-ES and RSA-OAEP do not use', () => {
  it('names the kty it does not support (null when there is none)', async () => {
    const okp = generateKeyPairSync('x25519').privateKey.export({ format: 'jwk' })
    const noKty = omit(octKey('k-2', 32).privateJwk, 'kty')
    const cases: [unknown, string][] = [
      [
        { ...okp, kid: 'k-1' },
        'CONFIG_KEYS: key "k-1" has kty "OKP"; RSA, EC and oct keys are supported',
      ],
      [noKty, 'CONFIG_KEYS: key "k-2" has kty null; RSA, EC and oct keys are supported'],
    ]
    for (const [key, message] of cases) {
      const error = await errorOf(createDecryptor(set(key), 'CONFIG_KEYS'))
      expect(error.code).toBe('ERR_SECRET_NO_KEYS')
      expect(error.message).toBe(message)
    }
  })

  it('names the curve it does not support', async () => {
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({
      format: 'jwk',
    })
    const error = await errorOf(createDecryptor(set({ ...k1, kid: 'k1-1' }), 'CONFIG_KEYS'))
    expect(error.code).toBe('ERR_SECRET_NO_KEYS')
    expect(error.message).toBe(
      'CONFIG_KEYS: key "k1-1" is on curve "secp256k1"; P-256, P-384 and P-521 are supported',
    )
  })
})

describe('a token without kid', () => {
  it('uses the only key of a set of one, and no key of a set of several', async () => {
    const rsa = await asymmetricKey('RSA', 'rsa-1')
    const ec = await asymmetricKey('EC', 'ec-1')
    const noKid = await joseEncrypt('v', rsa, 'RSA-OAEP-256', 'A256GCM', { kid: undefined })
    const one = await createDecryptor(privateSet(rsa), 'CONFIG_KEYS')
    expect((await one.decrypt(noKid)).toString()).toBe('v')
    const several = await createDecryptor(privateSet(rsa, ec), 'CONFIG_KEYS')
    expect(await codeOf(several.decrypt(noKid))).toBe('ERR_SECRET_KEY_NOT_FOUND')
  })
})
