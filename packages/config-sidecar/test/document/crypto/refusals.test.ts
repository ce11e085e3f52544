// What the decryptor refuses, and with which code: algorithms outside the list (RSA1_5 above all),
// unknown keys, tampered and malformed tokens, the wrong key type, compression, critical headers,
// and key sets it cannot use.
import { randomBytes } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { readCompactHeader } from '../../../src/document/crypto/compact.js'
import { createDecryptor } from '../../../src/document/crypto/index.js'
import type { SecretDecryptor } from '../../../src/document/crypto/index.js'
import { SidecarError } from '../../../src/support/errors.js'
import {
  allKeys,
  asymmetricKey,
  headerOf,
  joseEncrypt,
  keyFor,
  makeKeyRing,
  omit,
  privateSet,
  rsa15Token,
  tamper,
  withHeader,
} from '../../../../../test-support/jose.js'
import type { Alg, Enc, KeyRing, TestKey } from '../../../../../test-support/jose.js'
import { codeOf, errorOf } from '../../../../../test-support/sidecar-errors.js'

let ring: KeyRing
let decryptor: SecretDecryptor
let otherRsa: TestKey
let otherEc: TestKey

beforeAll(async () => {
  ring = await makeKeyRing()
  decryptor = await createDecryptor(privateSet(...allKeys(ring)), 'test keys')
  ;[otherRsa, otherEc] = await Promise.all([
    asymmetricKey('RSA', 'rsa-1'),
    asymmetricKey('EC', 'ec-1'),
  ])
})

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
const junk = (bytes: number): string => randomBytes(bytes).toString('base64url')

describe('algorithms outside the list', () => {
  it('refuses a genuine RSA1_5 token for a key it holds, before any decryption work', async () => {
    const token = rsa15Token(ring.rsa.publicJwk, ring.rsa.kid, 'top secret')
    expect(headerOf(token)).toMatchObject({ alg: 'RSA1_5', kid: 'rsa-1' })
    // The refusal is a synchronous read of the public header: no key is touched and no padding is
    // checked, so there is no oracle (Bleichenbacher) to query.
    expect(() => readCompactHeader(token)).toThrow(SidecarError)
    const error = await errorOf(decryptor.decrypt(token))
    expect(error.code).toBe('ERR_SECRET_ALGORITHM_REFUSED')
    expect(error.message).toContain('RSA1_5')
    expect(error.cause).toBeUndefined()

    // Garbage after the header, or a kid nobody holds, gets the same answer: the ciphertext and
    // the key set were never looked at.
    const garbage = [
      b64({ alg: 'RSA1_5', enc: 'A128GCM', kid: 'rsa-1' }),
      junk(256),
      junk(12),
      junk(20),
      junk(16),
    ].join('.')
    const noSuchKey = withHeader(token, { alg: 'RSA1_5', enc: 'A128GCM', kid: 'nobody' })
    for (const other of [garbage, noSuchKey]) {
      const refused = await errorOf(decryptor.decrypt(other))
      expect(refused.code).toBe('ERR_SECRET_ALGORITHM_REFUSED')
      expect(refused.message).toBe(error.message)
    }
  })

  it.each([
    { alg: 'none', enc: 'A256GCM' },
    { alg: 'RSA-OAEP-384', enc: 'A256GCM' },
    { alg: 'A192KW', enc: 'A256GCM' },
    { alg: 'A256GCMKW', enc: 'A256GCM' },
    { alg: 'PBES2-HS256+A128KW', enc: 'A128GCM' },
    { alg: 'dir', enc: 'A192GCM' },
    { alg: 'dir', enc: 'A192CBC-HS384' },
    { alg: 'RSA-OAEP-256', enc: 'none' },
    { alg: undefined, enc: 'A256GCM' },
    { alg: 'RSA-OAEP-256', enc: undefined },
  ])('refuses alg $alg with enc $enc', async ({ alg, enc }) => {
    const token = await joseEncrypt('v', ring.rsa, 'RSA-OAEP-256', 'A256GCM')
    const header: Record<string, unknown> = { kid: 'rsa-1' }
    if (alg !== undefined) header['alg'] = alg
    if (enc !== undefined) header['enc'] = enc
    expect(await codeOf(decryptor.decrypt(withHeader(token, header)))).toBe(
      'ERR_SECRET_ALGORITHM_REFUSED',
    )
  })

  it('refuses a compressed (zip) token', async () => {
    const token = await joseEncrypt('v', ring.a256kw, 'A256KW', 'A256GCM')
    const zipped = withHeader(token, { ...headerOf(token), zip: 'DEF' })
    const error = await errorOf(decryptor.decrypt(zipped))
    expect(error.code).toBe('ERR_SECRET_ALGORITHM_REFUSED')
    expect(error.message).toContain('zip')
  })

  it('refuses a token with critical header extensions (crit)', async () => {
    const token = await joseEncrypt('v', ring.ec, 'ECDH-ES+A256KW', 'A256GCM')
    for (const crit of [['exp'], [], 'exp']) {
      const error = await errorOf(
        decryptor.decrypt(withHeader(token, { ...headerOf(token), crit, exp: 1 })),
      )
      expect(error.code).toBe('ERR_SECRET_ALGORITHM_REFUSED')
      expect(error.message).toContain('crit')
    }
  })
})

describe('keys', () => {
  it('answers ERR_SECRET_KEY_NOT_FOUND for a kid that is not in the set, naming the kid', async () => {
    const stranger = await asymmetricKey('RSA', 'retired-2024')
    const token = await joseEncrypt('v', stranger, 'RSA-OAEP-256', 'A256GCM')
    const error = await errorOf(decryptor.decrypt(token))
    expect(error.code).toBe('ERR_SECRET_KEY_NOT_FOUND')
    expect(error.message).toContain('retired-2024')
  })

  it('answers ERR_SECRET_KEY_NOT_FOUND for a token without kid when the set holds several keys', async () => {
    const token = await joseEncrypt('v', ring.rsa, 'RSA-OAEP-256', 'A256GCM', { kid: undefined })
    expect(await codeOf(decryptor.decrypt(token))).toBe('ERR_SECRET_KEY_NOT_FOUND')
  })

  it('refuses an empty kid: it names no key, so no key is tried (not even the first)', async () => {
    // rsa-1 is the first key of the set: an empty kid must not fall back to it.
    expect(JSON.parse(privateSet(...allKeys(ring))).keys[0].kid).toBe('rsa-1')
    for (const [key, alg] of [
      [ring.rsa, 'RSA-OAEP-256'],
      [ring.ec, 'ECDH-ES+A256KW'],
    ] as const) {
      const token = await joseEncrypt('v', key, alg, 'A256GCM', { kid: '' })
      expect(headerOf(token)).toMatchObject({ kid: '' })
      const error = await errorOf(decryptor.decrypt(token))
      expect(error.code).toBe('ERR_SECRET_KEY_NOT_FOUND')
      expect(error.message).toContain('kid ""')
    }
    // With one key in the set too: only a token without kid may use the only key.
    const single = await createDecryptor(privateSet(ring.ec), 'one key')
    const empty = await joseEncrypt('v', ring.ec, 'ECDH-ES', 'A256GCM', { kid: '' })
    expect(await codeOf(single.decrypt(empty))).toBe('ERR_SECRET_KEY_NOT_FOUND')
    const absent = await joseEncrypt('v', ring.ec, 'ECDH-ES', 'A256GCM', { kid: undefined })
    expect((await single.decrypt(absent)).toString('utf8')).toBe('v')
  })

  it('matches a kid exactly (no case folding, no trimming, no prefix)', async () => {
    const token = await joseEncrypt('v', ring.ec, 'ECDH-ES', 'A256GCM')
    for (const kid of ['EC-1', 'ec-1 ', ' ec-1', 'ec-', 'ec-1-x']) {
      const error = await errorOf(decryptor.decrypt(withHeader(token, { ...headerOf(token), kid })))
      expect(error.code, kid).toBe('ERR_SECRET_KEY_NOT_FOUND')
    }
  })

  it.each([
    { alg: 'RSA-OAEP-256', kid: 'ec-1' },
    { alg: 'RSA-OAEP', kid: 'a256kw-1' },
    { alg: 'ECDH-ES+A256KW', kid: 'rsa-1' },
    { alg: 'ECDH-ES', kid: 'dir-A256GCM' },
    { alg: 'A256KW', kid: 'rsa-1' },
    { alg: 'dir', kid: 'ec-1' },
  ] as const)('refuses alg $alg with the $kid key (wrong key type)', async ({ alg, kid }) => {
    const enc: Enc = 'A256GCM'
    const token = await joseEncrypt('v', keyFor(ring, alg, enc), alg, enc)
    const error = await errorOf(decryptor.decrypt(withHeader(token, { ...headerOf(token), kid })))
    expect(error.code).toBe('ERR_SECRET_DECRYPTION_FAILED')
    expect(error.message).toContain(kid)
  })

  it('refuses a token made for another key that claims a kid the set holds', async () => {
    for (const [key, alg] of [
      [otherRsa, 'RSA-OAEP-256'],
      [otherEc, 'ECDH-ES+A256KW'],
      [otherEc, 'ECDH-ES'],
    ] as const) {
      for (const enc of ['A256GCM', 'A256CBC-HS512'] as const) {
        const token = await joseEncrypt('v', key, alg, enc)
        expect(await codeOf(decryptor.decrypt(token))).toBe('ERR_SECRET_DECRYPTION_FAILED')
      }
    }
  })
})

describe('tampered and malformed tokens', () => {
  const families: { alg: Alg; enc: Enc }[] = [
    { alg: 'RSA-OAEP-256', enc: 'A256GCM' },
    { alg: 'RSA-OAEP', enc: 'A128CBC-HS256' },
    { alg: 'ECDH-ES+A256KW', enc: 'A256GCM' },
    { alg: 'ECDH-ES', enc: 'A128GCM' },
    // ECDH-ES with A256CBC-HS512 takes the sidecar's own key agreement (see src/document/crypto/ecdh-es.ts).
    { alg: 'ECDH-ES', enc: 'A256CBC-HS512' },
    { alg: 'A128KW', enc: 'A256CBC-HS512' },
    { alg: 'dir', enc: 'A256GCM' },
  ]

  it.each(families)('$alg/$enc: a changed tag, ciphertext or iv fails', async ({ alg, enc }) => {
    const token = await joseEncrypt('tamper me', keyFor(ring, alg, enc), alg, enc)
    expect((await decryptor.decrypt(token)).toString()).toBe('tamper me')
    for (const part of [4, 3, 2]) {
      expect(await codeOf(decryptor.decrypt(tamper(token, part)))).toBe(
        'ERR_SECRET_DECRYPTION_FAILED',
      )
    }
    // A header that still parses but differs is other authenticated data: it fails too.
    const reordered = withHeader(token, { kid: headerOf(token)['kid'], ...headerOf(token) })
    expect(reordered).not.toBe(token)
    expect(await codeOf(decryptor.decrypt(reordered))).toBe('ERR_SECRET_DECRYPTION_FAILED')
    // A truncated tag is five parts still, but cannot authenticate.
    const parts = token.split('.')
    parts[4] = parts[4]!.slice(0, 8)
    expect(await codeOf(decryptor.decrypt(parts.join('.')))).toBe('ERR_SECRET_DECRYPTION_FAILED')
  })

  it('fails a tag with bytes appended (only a tag of the exact length authenticates)', async () => {
    for (const [alg, enc] of [
      ['dir', 'A128CBC-HS256'],
      ['A256KW', 'A256CBC-HS512'],
      ['RSA-OAEP', 'A256GCM'],
    ] as const) {
      const token = await joseEncrypt('padded', keyFor(ring, alg, enc), alg, enc)
      const parts = token.split('.')
      parts[4] = Buffer.concat([Buffer.from(parts[4]!, 'base64url'), Buffer.alloc(4)]).toString(
        'base64url',
      )
      expect(await codeOf(decryptor.decrypt(parts.join('.'))), `${alg} ${enc}`).toBe(
        'ERR_SECRET_DECRYPTION_FAILED',
      )
    }
  })

  it('answers a changed RSA encrypted key exactly as a changed tag (no separate padding error)', async () => {
    for (const alg of ['RSA-OAEP-256', 'RSA-OAEP'] as const) {
      const token = await joseEncrypt('v', ring.rsa, alg, 'A256GCM')
      const badKey = await errorOf(decryptor.decrypt(tamper(token, 1)))
      const badTag = await errorOf(decryptor.decrypt(tamper(token, 4)))
      expect(badKey.code).toBe('ERR_SECRET_DECRYPTION_FAILED')
      expect(badKey.message).toBe(badTag.message)
    }
  })

  it('refuses a key marked for signatures, and an oct key of the wrong size', async () => {
    const signing = { ...ring.a256kw, privateJwk: { ...ring.a256kw.privateJwk, use: 'sig' } }
    const own = await createDecryptor(privateSet(signing), 'K')
    const token = await joseEncrypt('v', ring.a256kw, 'A256KW', 'A256GCM')
    expect(await codeOf(own.decrypt(token))).toBe('ERR_SECRET_DECRYPTION_FAILED')
    // A 256-bit key named by an A128KW token, and a dir key too short for its enc.
    const a128 = withHeader(token, { ...headerOf(token), alg: 'A128KW' })
    expect(await codeOf(decryptor.decrypt(a128))).toBe('ERR_SECRET_DECRYPTION_FAILED')
    const dir = await joseEncrypt('v', ring.dir['A128GCM'], 'dir', 'A128GCM')
    const tooShort = withHeader(dir, { ...headerOf(dir), enc: 'A256GCM' })
    expect(await codeOf(decryptor.decrypt(tooShort))).toBe('ERR_SECRET_DECRYPTION_FAILED')
  })

  it('fails a changed encrypted key', async () => {
    for (const [alg, enc] of [
      ['RSA-OAEP-256', 'A256GCM'],
      ['ECDH-ES+A128KW', 'A128GCM'],
      ['A256KW', 'A256GCM'],
    ] as const) {
      const token = await joseEncrypt('v', keyFor(ring, alg, enc), alg, enc)
      expect(await codeOf(decryptor.decrypt(tamper(token, 1)))).toBe('ERR_SECRET_DECRYPTION_FAILED')
    }
  })

  it('fails an ephemeral key that is not on the curve or on another curve', async () => {
    const p384 = await asymmetricKey('EC', 'p384', 'P-384')
    for (const enc of ['A256GCM', 'A256CBC-HS512'] as const) {
      for (const alg of ['ECDH-ES', 'ECDH-ES+A256KW'] as const) {
        const token = await joseEncrypt('v', ring.ec, alg, enc)
        const header = headerOf(token)
        const epk = header['epk'] as { x: string; y: string }
        const offCurve = { ...epk, y: tamper(`${epk.y}.`, 0).slice(0, -1) }
        const otherCurve = omit(p384.publicJwk, 'kid')
        for (const bad of [offCurve, otherCurve]) {
          expect(await codeOf(decryptor.decrypt(withHeader(token, { ...header, epk: bad })))).toBe(
            'ERR_SECRET_DECRYPTION_FAILED',
          )
        }
      }
    }
  })

  it('answers ERR_SECRET_MALFORMED for what is not a compact JWE', async () => {
    const token = await joseEncrypt('v', ring.rsa, 'RSA-OAEP-256', 'A256GCM')
    const [header] = token.split('.')
    const malformed = [
      token.slice(0, Math.floor(token.length / 2)), // truncated
      token.split('.').slice(0, 4).join('.'), // a part missing
      `${token}.extra`, // a part too many
      '',
      'not a token',
      token.replace(/\.([^.]*)$/, '.+/=='), // not base64url
      `${b64('header')}.${token.split('.').slice(1).join('.')}`, // header not an object
      `${Buffer.from('{nope').toString('base64url')}.${token.split('.').slice(1).join('.')}`,
      `${header}.${token.split('.')[1]}..${token.split('.')[3]}.${token.split('.')[4]}`, // no iv
      `${header}.${token.split('.')[1]}.${token.split('.')[2]}.${token.split('.')[3]}.`, // no tag
      withHeader(token, { alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: 42 }),
    ]
    for (const value of malformed) {
      const error = await errorOf(decryptor.decrypt(value))
      expect(error.code, value).toBe('ERR_SECRET_MALFORMED')
    }
  })
})

describe('key sets createDecryptor refuses (ERR_SECRET_NO_KEYS)', () => {
  it('refuses a public-only set, naming the kid, never quoting the key', async () => {
    const error = await errorOf(
      createDecryptor(JSON.stringify({ keys: [ring.rsa.publicJwk] }), 'K'),
    )
    expect(error.code).toBe('ERR_SECRET_NO_KEYS')
    expect(error.message).toContain('rsa-1')
    expect(error.message).toContain('public')
    expect(error.message).not.toContain(String(ring.rsa.publicJwk.n).slice(0, 16))
    // One public key among private ones is refused too: every key must be usable.
    expect(
      await codeOf(
        createDecryptor(
          JSON.stringify({ keys: [ring.rsa.privateJwk, ring.ec.publicJwk] }),
          'CONFIG_KEYS',
        ),
      ),
    ).toBe('ERR_SECRET_NO_KEYS')
  })

  it('refuses a key without kid, a duplicate kid, an invalid JWK, an empty set and non-JSON', async () => {
    const withoutKid = omit(ring.ec.privateJwk, 'kid')
    const cases = [
      JSON.stringify({ keys: [withoutKid] }),
      JSON.stringify({ keys: [{ ...withoutKid, kid: '' }] }),
      JSON.stringify({ keys: [ring.ec.privateJwk, { ...ring.rsa.privateJwk, kid: 'ec-1' }] }),
      JSON.stringify({ keys: [{ kty: 'RSA', kid: 'broken', n: 'AQAB' }] }),
      JSON.stringify({ keys: [] }),
      JSON.stringify({}),
      JSON.stringify([ring.ec.privateJwk]),
      'null',
      `{"keys":[${JSON.stringify(ring.ec.privateJwk)}`,
    ]
    for (const json of cases) {
      const error = await errorOf(createDecryptor(json, 'CONFIG_KEYS'))
      expect(error.code, json.slice(0, 40)).toBe('ERR_SECRET_NO_KEYS')
      expect(error.message).toContain('CONFIG_KEYS')
      expect(error.message).not.toContain(String(ring.ec.privateJwk.d))
      expect(error.message).not.toContain(String(ring.rsa.privateJwk.d))
    }
  })

  it('reports the kids it holds', async () => {
    const held = await createDecryptor(privateSet(ring.rsa, ring.ec), 'K')
    expect(held.keyIds).toEqual(['rsa-1', 'ec-1'])
  })
})
