// What the public header of a token alone gets refused for, and what the refusal says: each
// malformed shape answers ERR_SECRET_MALFORMED with a sentence naming what is wrong (the operator
// reads it in the log and in /status), never a TypeError from deeper in the decryptor.
import { beforeAll, describe, expect, it } from 'vitest'
import { createDecryptor } from '../../../src/document/crypto/index.js'
import type { SecretDecryptor } from '../../../src/document/crypto/index.js'
import {
  asymmetricKey,
  joseEncrypt,
  privateSet,
  withHeader,
} from '../../../../../test-support/jose.js'
import type { TestKey } from '../../../../../test-support/jose.js'
import { errorOf } from '../../../../../test-support/sidecar-errors.js'

let rsa: TestKey
let ec: TestKey
let decryptor: SecretDecryptor
let token: string

beforeAll(async () => {
  ;[rsa, ec] = await Promise.all([asymmetricKey('RSA', 'rsa-1'), asymmetricKey('EC', 'ec-1')])
  decryptor = await createDecryptor(privateSet(rsa, ec), 'CONFIG_KEYS')
  token = await joseEncrypt('v', rsa, 'RSA-OAEP-256', 'A256GCM')
})

const b64 = (text: string): string => Buffer.from(text).toString('base64url')
const replacePart = (compact: string, index: number, value: string): string => {
  const parts = compact.split('.')
  parts[index] = value
  return parts.join('.')
}

describe('a token whose shape or header is malformed', () => {
  it.each([
    ['four parts', (t: string) => t.split('.').slice(0, 4).join('.'), /five base64url parts/],
    ['a part in standard base64', (t: string) => replacePart(t, 3, '+/+/'), /five base64url parts/],
    ['an empty header', (t: string) => replacePart(t, 0, ''), /empty header, iv or tag/],
    ['an empty iv', (t: string) => replacePart(t, 2, ''), /empty header, iv or tag/],
    ['an empty tag', (t: string) => replacePart(t, 4, ''), /empty header, iv or tag/],
    ['a header that is not JSON', (t: string) => replacePart(t, 0, b64('{"alg":')), /not JSON/],
    ['a header that is null', (t: string) => replacePart(t, 0, b64('null')), /not an object/],
    ['a header that is a list', (t: string) => replacePart(t, 0, b64('[1]')), /not an object/],
    ['a header that is a number', (t: string) => replacePart(t, 0, b64('7')), /not an object/],
  ])('refuses %s, saying so', async (_what, make, says) => {
    const error = await errorOf(decryptor.decrypt(make(token)))
    expect(error.code).toBe('ERR_SECRET_MALFORMED')
    expect(error.message).toMatch(says)
  })

  it('refuses a kid that is not a string, saying so', async () => {
    for (const kid of [42, null, ['rsa-1'], { kid: 'rsa-1' }]) {
      const error = await errorOf(
        decryptor.decrypt(withHeader(token, { alg: 'RSA-OAEP-256', enc: 'A256GCM', kid })),
      )
      expect(error.code, JSON.stringify(kid)).toBe('ERR_SECRET_MALFORMED')
      expect(error.message).toMatch(/kid that is not a string/)
    }
  })
})

describe('a refused alg or enc is named in the refusal', () => {
  it.each([
    [{ alg: 'RSA1_5', enc: 'A256GCM' }, 'uses alg "RSA1_5"'],
    [{ enc: 'A256GCM' }, 'uses alg null'],
    [{ alg: 'RSA-OAEP-256', enc: 'A192GCM' }, 'uses enc "A192GCM"'],
    [{ alg: 'RSA-OAEP-256' }, 'uses enc null'],
  ])('%j: %s', async (header, says) => {
    const error = await errorOf(decryptor.decrypt(withHeader(token, { ...header, kid: 'rsa-1' })))
    expect(error.code).toBe('ERR_SECRET_ALGORITHM_REFUSED')
    expect(error.message).toContain(says)
  })
})

describe('a token that names no key', () => {
  it('says the token has no kid when the set holds several keys', async () => {
    const noKid = await joseEncrypt('v', rsa, 'RSA-OAEP-256', 'A256GCM', { kid: undefined })
    const error = await errorOf(decryptor.decrypt(noKid))
    expect(error.code).toBe('ERR_SECRET_KEY_NOT_FOUND')
    expect(error.message).toMatch(/has no kid/)
    expect(error.message).not.toMatch(/names kid/)
  })
})
