// decryptSecrets on its own: secrets found at any depth (objects in lists included) under their
// full path, the compact JWE trimmed before it is looked up, and the refusals: no keys, and a
// decryptor that fails without saying why.
import { describe, expect, it } from 'vitest'
import { errorOf } from '../../../../test-support/sidecar-errors.js'
import type { SecretDecryptor } from '../../src/document/crypto/index.js'
import { decryptSecrets } from '../../src/document/secrets.js'

describe('decryptSecrets', () => {
  it('finds secrets in objects inside lists, under their full path', async () => {
    const previous = new Map([['P', 'p']])
    const decrypted = await decryptSecrets(
      { l: [{ p: '{jwe}P' }, ['{jwe}P']] },
      undefined,
      previous,
    )
    expect(decrypted.document).toEqual({ l: [{ p: 'p' }, ['p']] })
    expect(decrypted.secretPaths).toEqual([
      ['l', 0, 'p'],
      ['l', 1, 0],
    ])
  })

  it('trims the compact JWE, in objects and in lists, before looking it up', async () => {
    const previous = new Map([['X', 'x']])
    const decrypted = await decryptSecrets(
      { a: '{jwe} X \n', l: ['{jwe}\tX '] },
      undefined,
      previous,
    )
    expect(decrypted.document).toEqual({ a: 'x', l: ['x'] })
    expect([...decrypted.cache.keys()]).toEqual(['X'])
    expect(decrypted.decrypted).toBe(0)
  })

  it('refuses a new secret without CONFIG_KEYS, naming its path', async () => {
    const error = await errorOf(decryptSecrets({ a: { b: '{jwe}X' } }, undefined, new Map()))
    expect(error.code).toBe('ERR_SECRET_NO_KEYS')
    expect(error.message).toBe('secret at a.b cannot be decrypted: CONFIG_KEYS is not set')
  })

  it('is ERR_SECRET_DECRYPTION_FAILED, with the cause kept, when the decryptor fails in another way', async () => {
    const failure = new Error('boom')
    const decryptor: SecretDecryptor = { keyIds: ['k'], decrypt: () => Promise.reject(failure) }
    const error = await errorOf(decryptSecrets({ l: ['{jwe}X'] }, decryptor, new Map()))
    expect(error.code).toBe('ERR_SECRET_DECRYPTION_FAILED')
    expect(error.message).toBe('secret at l[0] could not be decrypted')
    expect(error.cause).toBe(failure)
  })
})
