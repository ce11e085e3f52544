// Each key is imported once, when the decryptor is made, never per secret: decrypting tokens of
// every accepted alg calls none of the functions that import a key (node:crypto's create*Key and
// createECDH, WebCrypto's importKey, node-jose's JWK import), and RSA decrypts with a KeyObject.
import * as nodeCrypto from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import jose from 'node-jose'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createDecryptor } from '../../../src/document/crypto/index.js'
import type { SecretDecryptor } from '../../../src/document/crypto/index.js'
import {
  ALGS,
  ENCS,
  allKeys,
  joseEncrypt,
  keyFor,
  makeKeyRing,
  privateSet,
} from '../../../../../test-support/jose.js'

// The sidecar's modules see these wrappers; each counts its calls and calls Node's own function.
vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof nodeCrypto>()
  return {
    ...original,
    createPrivateKey: vi.fn(original.createPrivateKey),
    createPublicKey: vi.fn(original.createPublicKey),
    createSecretKey: vi.fn(original.createSecretKey),
    createECDH: vi.fn(original.createECDH),
    privateDecrypt: vi.fn(original.privateDecrypt),
  }
})

const imports = {
  createPrivateKey: vi.mocked(nodeCrypto.createPrivateKey),
  createPublicKey: vi.mocked(nodeCrypto.createPublicKey),
  createSecretKey: vi.mocked(nodeCrypto.createSecretKey),
  createECDH: vi.mocked(nodeCrypto.createECDH),
}

let decryptor: SecretDecryptor
const tokens: { alg: string; enc: string; compact: string; plaintext: string }[] = []

beforeAll(async () => {
  const ring = await makeKeyRing()
  for (const alg of ALGS) {
    for (const enc of ENCS) {
      const plaintext = `value for ${alg} ${enc}`
      tokens.push({
        alg,
        enc,
        plaintext,
        compact: await joseEncrypt(plaintext, keyFor(ring, alg, enc), alg, enc),
      })
    }
  }
  decryptor = await createDecryptor(privateSet(...allKeys(ring)), 'test keys')
  // node-jose has loaded (the first decryption waits for it), so its own set-up is not counted.
  await decryptor.decrypt(tokens[0]!.compact)
})

afterEach(() => {
  vi.restoreAllMocks()
})

describe('decrypting a secret', () => {
  it('imports no key: every key was imported once, when the decryptor was made', async () => {
    for (const spy of Object.values(imports)) spy.mockClear()
    const importKey = vi.spyOn(globalThis.crypto.subtle, 'importKey')
    const asKey = vi.spyOn(jose.JWK, 'asKey')
    const createKeyStore = vi.spyOn(jose.JWK, 'createKeyStore')
    for (const token of tokens) {
      const plaintext = await decryptor.decrypt(token.compact)
      expect(plaintext.toString('utf8'), `${token.alg} ${token.enc}`).toBe(token.plaintext)
    }
    expect(
      Object.fromEntries(
        Object.entries(imports).map(([name, spy]) => [name, spy.mock.calls.length]),
      ),
    ).toEqual({ createPrivateKey: 0, createPublicKey: 0, createSecretKey: 0, createECDH: 0 })
    expect(importKey).not.toHaveBeenCalled()
    expect(asKey).not.toHaveBeenCalled()
    expect(createKeyStore).not.toHaveBeenCalled()
  })

  it('decrypts RSA with the KeyObject made at start, the same one every time', async () => {
    const privateDecrypt = vi.mocked(nodeCrypto.privateDecrypt)
    privateDecrypt.mockClear()
    for (const token of tokens.filter((t) => t.alg.startsWith('RSA'))) {
      await decryptor.decrypt(token.compact)
    }
    const used = privateDecrypt.mock.calls.map(
      ([options]) => (options as { key: KeyObject | string }).key,
    )
    expect(used).toHaveLength(2 * ENCS.length)
    expect(used.every((key) => key instanceof nodeCrypto.KeyObject)).toBe(true)
    expect(new Set(used).size).toBe(1)
  })
})
