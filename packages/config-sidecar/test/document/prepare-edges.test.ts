// prepareConfig at its edges: the size limit (exactly at it, one byte over), which name a refusal
// gives (the source, or the file of a directory), how the format of a part is chosen, how a
// whole-document JWE that cannot be decrypted is reported, the paths `?redact` hides, and the
// version of a source that gives none.
import { describe, expect, it } from 'vitest'
import { asymmetricKey, joseEncrypt, privateSet } from '../../../../test-support/jose.js'
import { errorOf } from '../../../../test-support/sidecar-errors.js'
import { createDecryptor } from '../../src/document/crypto/index.js'
import type { SecretDecryptor } from '../../src/document/crypto/index.js'
import { prepareConfig } from '../../src/document/prepare.js'
import type { RawDocument } from '../../src/sources/source.js'
import { SidecarError } from '../../src/support/errors.js'
import { DOCUMENT_LIMITS } from '../../src/support/limits.js'

const options = { where: 'test', decryptor: undefined, previous: new Map<string, string>() }

/** A decryptor (our own interface) whose every decryption fails with `error`. */
const failingDecryptor = (error: Error): SecretDecryptor => ({
  keyIds: ['k'],
  decrypt: () => Promise.reject(error),
})

const part = (body: string, more: { contentType?: string; file?: string } = {}): RawDocument => ({
  body: Buffer.from(body),
  contentType: more.contentType,
  file: more.file,
})

describe('the size limit', () => {
  it('takes a document of exactly the limit and refuses one byte more, saying both sizes', async () => {
    const max = DOCUMENT_LIMITS.maxBytes
    // Trailing blanks count as bytes fetched, not as the JSON served.
    const exact = `{"a":1}${' '.repeat(max - 7)}`
    expect(Buffer.byteLength(exact)).toBe(max)
    const taken = await prepareConfig({ documents: [part(exact)] }, options)
    expect(taken.document).toEqual({ a: 1 })

    const error = await errorOf(
      prepareConfig({ documents: [part(exact.slice(0, 100)), part(exact.slice(99))] }, options),
    )
    expect(error.code).toBe('ERR_DOCUMENT_TOO_LARGE')
    expect(error.message).toBe(`test is ${max + 1} bytes, over the limit of ${max}`)
  })
})

describe('the parts of a directory', () => {
  it('are refused under the name of their file', async () => {
    const error = await errorOf(
      prepareConfig(
        { documents: [part('{"a":1}', { file: 'a.json' }), part('{"b":', { file: 'b.json' })] },
        options,
      ),
    )
    expect(error.code).toBe('ERR_DOCUMENT_INVALID')
    expect(error.message).toMatch(/^file:b\.json is not valid JSON/)
  })

  it('are read by their content type and file name before their first character', async () => {
    const byType = await prepareConfig(
      { documents: [part('{a: 1}', { contentType: 'application/x-yaml' })] },
      options,
    )
    expect(byType.document).toEqual({ a: 1 })
    const byName = await prepareConfig(
      { documents: [part('{a: 1}', { file: 'a.yml' }), part('{b: 2}', { file: 'b.yaml' })] },
      options,
    )
    expect(JSON.parse(JSON.stringify(byName.document))).toEqual({ a: 1, b: 2 })
  })

  it('have no secret paths when none of them holds a secret', async () => {
    const prepared = await prepareConfig(
      { documents: [part('{"a":1}', { file: 'a.json' }), part('{"b":[2]}', { file: 'b.json' })] },
      options,
    )
    expect(prepared.secretPaths).toEqual([])
  })

  it('give a version that depends on where one file ends and the next begins', async () => {
    const first = await prepareConfig(
      { documents: [part('x: 1\n', { file: 'a.yml' }), part('y: 2\nz: 3\n', { file: 'b.yml' })] },
      options,
    )
    const second = await prepareConfig(
      { documents: [part('x: 1\ny: 2\n', { file: 'a.yml' }), part('z: 3\n', { file: 'b.yml' })] },
      options,
    )
    expect(JSON.parse(JSON.stringify(first.document))).toEqual(
      JSON.parse(JSON.stringify(second.document)),
    )
    expect(first.version).not.toBe(second.version)
  })
})

describe('a whole document as one JWE', () => {
  const jose = (body: string) => ({ documents: [part(body, { contentType: 'application/jose' })] })

  it('is refused without CONFIG_KEYS, naming the source', async () => {
    const error = await errorOf(prepareConfig(jose('a.b.c.d.e'), options))
    expect(error.code).toBe('ERR_SECRET_NO_KEYS')
    expect(error.message).toBe(
      'test is an encrypted document (application/jose) and CONFIG_KEYS is not set',
    )
  })

  it("keeps the decryptor's code and reason when it gives them", async () => {
    const decryptor = failingDecryptor(
      new SidecarError('ERR_SECRET_KEY_NOT_FOUND', 'is for kid "x", which CONFIG_KEYS lacks'),
    )
    const error = await errorOf(prepareConfig(jose('a.b.c.d.e'), { ...options, decryptor }))
    expect(error.code).toBe('ERR_SECRET_KEY_NOT_FOUND')
    expect(error.message).toBe(
      'test: the encrypted document is for kid "x", which CONFIG_KEYS lacks',
    )
  })

  it('is ERR_SECRET_DECRYPTION_FAILED when the decryptor fails in another way', async () => {
    const decryptor = failingDecryptor(new Error('boom'))
    const error = await errorOf(prepareConfig(jose('a.b.c.d.e'), { ...options, decryptor }))
    expect(error.code).toBe('ERR_SECRET_DECRYPTION_FAILED')
    expect(error.message).toBe('test: the encrypted document could not be decrypted')
  })

  it('has every leaf as a secret path', async () => {
    const key = await asymmetricKey('EC', 'doc-ec-1')
    const compact = await joseEncrypt('{"a":1,"b":{"c":[true,"x"]}}', key, 'ECDH-ES', 'A256GCM')
    const decryptor = await createDecryptor(privateSet(key), 'K')
    const prepared = await prepareConfig(jose(compact), { ...options, decryptor })
    expect(prepared.secretPaths).toEqual([['a'], ['b', 'c', 0], ['b', 'c', 1]])
  })
})
