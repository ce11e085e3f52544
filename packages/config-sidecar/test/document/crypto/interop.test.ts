// Interoperability: secrets made by another standard library (jose, by panva) decrypt through the
// sidecar's decryptor for every accepted alg and enc, and the sidecar's own output decrypts with
// jose. Keys are generated per run; nothing private is committed.
import { CompactEncrypt, compactDecrypt } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  ALLOWED_ALGS,
  ALLOWED_ENCS,
  createDecryptor,
  encryptSecret,
} from '../../../src/document/crypto/index.js'
import type { SecretDecryptor } from '../../../src/document/crypto/index.js'
import {
  ALGS,
  ENCS,
  allKeys,
  asymmetricKey,
  headerOf,
  joseEncrypt,
  keyFor,
  makeKeyRing,
  octKey,
  omit,
  privateSet,
  publicSet,
  withHeader,
} from '../../../../../test-support/jose.js'
import type { KeyRing, TestKey } from '../../../../../test-support/jose.js'
import { errorOf } from '../../../../../test-support/sidecar-errors.js'

let ring: KeyRing
let decryptor: SecretDecryptor

beforeAll(async () => {
  ring = await makeKeyRing()
  // One set with every key: each token must find its own key by kid among the others.
  decryptor = await createDecryptor(privateSet(...allKeys(ring)), 'test keys')
})

const PLAINTEXT = 'p@ss wörd ✓ {"not":"json"} \n end'

describe('the accepted algorithms', () => {
  it('are exactly the ones the tests cover', () => {
    expect([...ALLOWED_ALGS]).toEqual([...ALGS])
    expect([...ALLOWED_ENCS]).toEqual([...ENCS])
  })
})

describe('JWEs made by jose decrypt through createDecryptor', () => {
  const table = ALGS.flatMap((alg) => ENCS.map((enc) => ({ alg, enc })))

  it.each(table)('$alg with $enc', async ({ alg, enc }) => {
    const key = keyFor(ring, alg, enc)
    const compact = await joseEncrypt(`${PLAINTEXT} ${alg}/${enc}`, key, alg, enc)
    expect(headerOf(compact)).toMatchObject({ alg, enc, kid: key.kid })
    const plaintext = await decryptor.decrypt(compact)
    expect(plaintext.toString('utf8')).toBe(`${PLAINTEXT} ${alg}/${enc}`)
  })

  it('decrypts a token without kid when the set holds one key', async () => {
    const single = await createDecryptor(privateSet(ring.ec), 'one key')
    const compact = await joseEncrypt('no kid', ring.ec, 'ECDH-ES+A256KW', 'A256GCM', {
      kid: undefined,
    })
    expect(headerOf(compact)).not.toHaveProperty('kid')
    expect((await single.decrypt(compact)).toString('utf8')).toBe('no kid')
  })

  it.each(['P-384', 'P-521'] as const)('decrypts ECDH-ES on %s too', async (crv) => {
    const key = await asymmetricKey('EC', `ec-${crv}`, crv)
    const own = await createDecryptor(privateSet(key), crv)
    for (const alg of ['ECDH-ES', 'ECDH-ES+A256KW'] as const) {
      const compact = await joseEncrypt(`on ${crv}`, key, alg, 'A256GCM')
      expect((await own.decrypt(compact)).toString('utf8')).toBe(`on ${crv}`)
    }
  })

  it('decrypts ECDH-ES with party info (apu, apv) in the key derivation', async () => {
    for (const alg of ['ECDH-ES', 'ECDH-ES+A128KW'] as const) {
      for (const enc of ['A128GCM', 'A256CBC-HS512'] as const) {
        const compact = await new CompactEncrypt(new TextEncoder().encode(`apu ${alg} ${enc}`))
          .setProtectedHeader({ alg, enc, kid: ring.ec.kid })
          .setKeyManagementParameters({
            apu: new TextEncoder().encode('sender'),
            apv: new TextEncoder().encode('sidecar'),
          })
          .encrypt(omit(ring.ec.publicJwk, 'kid'))
        expect(headerOf(compact)).toMatchObject({ apu: 'c2VuZGVy', apv: 'c2lkZWNhcg' })
        expect((await decryptor.decrypt(compact)).toString('utf8')).toBe(`apu ${alg} ${enc}`)
        // The derivation depends on them: other party info gives another key.
        const changed = withHeader(compact, { ...headerOf(compact), apv: 'b3RoZXI' })
        expect((await errorOf(decryptor.decrypt(changed))).code).toBe(
          'ERR_SECRET_DECRYPTION_FAILED',
        )
      }
    }
  })

  it('decrypts an empty value and a large one', async () => {
    const large = 'x'.repeat(256 * 1024)
    for (const value of ['', large]) {
      const compact = await joseEncrypt(value, ring.rsa, 'RSA-OAEP-256', 'A256GCM')
      expect((await decryptor.decrypt(compact)).toString('utf8')).toBe(value)
    }
  })
})

describe('encryptSecret output', () => {
  const cases: {
    name: string
    key: () => TestKey
    alg?: string
    enc?: string
    expected: string
  }[] = [
    { name: 'RSA key, default alg', key: () => ring.rsa, expected: 'RSA-OAEP-256' },
    { name: 'RSA key, RSA-OAEP', key: () => ring.rsa, alg: 'RSA-OAEP', expected: 'RSA-OAEP' },
    { name: 'EC key, default alg', key: () => ring.ec, expected: 'ECDH-ES+A256KW' },
    { name: 'EC key, ECDH-ES', key: () => ring.ec, alg: 'ECDH-ES', expected: 'ECDH-ES' },
    {
      name: 'EC key, ECDH-ES+A128KW and A128CBC-HS256',
      key: () => ring.ec,
      alg: 'ECDH-ES+A128KW',
      enc: 'A128CBC-HS256',
      expected: 'ECDH-ES+A128KW',
    },
    { name: 'oct key, default alg', key: () => ring.a256kw, expected: 'A256KW' },
    { name: 'oct key, A128KW', key: () => ring.a128kw, alg: 'A128KW', expected: 'A128KW' },
    {
      name: 'oct key, dir',
      key: () => ring.dir['A256GCM'],
      alg: 'dir',
      enc: 'A256GCM',
      expected: 'dir',
    },
  ]

  it.each(cases)('$name decrypts with createDecryptor and with jose', async (c) => {
    const key = c.key()
    // Public keys suffice to encrypt; symmetric keys are their own "public" key.
    const secret = await encryptSecret(publicSet(key), PLAINTEXT, { alg: c.alg, enc: c.enc })
    expect(secret.startsWith('{jwe}')).toBe(true)
    const compact = secret.slice('{jwe}'.length)
    expect(compact).not.toContain(PLAINTEXT)
    expect(headerOf(compact)).toMatchObject({
      alg: c.expected,
      enc: c.enc ?? 'A256GCM',
      kid: key.kid,
    })

    expect((await decryptor.decrypt(compact)).toString('utf8')).toBe(PLAINTEXT)
    const viaJose = await compactDecrypt(compact, key.privateJwk)
    expect(new TextDecoder().decode(viaJose.plaintext)).toBe(PLAINTEXT)
  })

  it('picks the key by kid from a set of several', async () => {
    const other = octKey('other', 32)
    const secret = await encryptSecret(publicSet(ring.rsa, ring.ec, other), 'by kid', {
      kid: 'ec-1',
    })
    expect(headerOf(secret.slice(5))).toMatchObject({ kid: 'ec-1', alg: 'ECDH-ES+A256KW' })
    expect((await decryptor.decrypt(secret.slice(5))).toString('utf8')).toBe('by kid')
  })

  it('refuses what it cannot make, with ERR_SECRET_ALGORITHM_REFUSED', async () => {
    const cases: { key: TestKey; alg?: string; enc?: string }[] = [
      { key: ring.rsa, alg: 'RSA1_5' },
      { key: ring.rsa, enc: 'A192GCM' },
      { key: ring.rsa, alg: 'A256KW' }, // wrong key type
      { key: ring.a256kw, alg: 'ECDH-ES' },
      // node-jose derives too short a key for this pair (see src/document/crypto/ecdh-es.ts).
      { key: ring.ec, alg: 'ECDH-ES', enc: 'A256CBC-HS512' },
    ]
    for (const c of cases) {
      const error = await errorOf(encryptSecret(publicSet(c.key), 'v', { alg: c.alg, enc: c.enc }))
      expect(error.code, JSON.stringify(c)).toBe('ERR_SECRET_ALGORITHM_REFUSED')
    }
  })

  it('makes a different token each time for the same value', async () => {
    const one = await encryptSecret(publicSet(ring.rsa), 'same')
    const two = await encryptSecret(publicSet(ring.rsa), 'same')
    expect(one).not.toBe(two)
  })
})
