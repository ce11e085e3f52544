// `encrypt` called in-process (the function main.ts calls), so that mutation testing sees it: the
// one line it prints (`{jwe}…`, which decrypts to the value), the value from an argument or from
// stdin (one trailing newline dropped, string or byte chunks), the prompt on a terminal only, and
// every refusal with its exact line on stderr and its exit code. The value is never echoed.
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { compactDecrypt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { captureOutput } from '../../../../test-support/logs.js'
import { tempDir } from '../../../../test-support/files.js'
import {
  asymmetricKey,
  headerOf,
  privateSet,
  publicSet,
  randomSecret,
} from '../../../../test-support/jose.js'
import type { TestKey } from '../../../../test-support/jose.js'
import { encrypt } from '../../src/cli/encrypt.js'
import { createDecryptor, generateKeySet } from '../../src/document/crypto/index.js'

const INVOCATION = 'node sidecar/main.mjs'
const PROMPT =
  'config-sidecar encrypt: reading the value from stdin: type it, press Enter, then Ctrl-D (Ctrl-C cancels)\n'

let dir: { path: string; remove: () => Promise<void> }
/** keygen's EC set (with an `alg`), public and private. */
let ecPublic: string
let ecPrivate: string
/** Two RSA keys made by jose, without `alg`. */
let rsaOne: TestKey
let rsaTwo: TestKey
let rsaPublic: string

beforeAll(async () => {
  dir = await tempDir('config-sidecar-encrypt-')
  const keys = await generateKeySet('ec', 'ec-kid')
  ecPublic = join(dir.path, 'ec.public.jwks.json')
  ecPrivate = JSON.stringify(keys.privateJwks)
  await writeFile(ecPublic, JSON.stringify(keys.publicJwks))
  ;[rsaOne, rsaTwo] = await Promise.all([
    asymmetricKey('RSA', 'rsa-1'),
    asymmetricKey('RSA', 'rsa-2'),
  ])
  rsaPublic = join(dir.path, 'rsa.public.jwks.json')
  await writeFile(rsaPublic, publicSet(rsaOne, rsaTwo))
})
afterAll(async () => {
  await dir.remove()
})

type Options = Omit<Parameters<typeof encrypt>[0], 'invocation' | 'stdin'> & {
  stdin?: Parameters<typeof encrypt>[0]['stdin']
}

/** A stdin that fails the test if it is read. */
const unread = (): Readable =>
  new Readable({
    read() {
      this.destroy(new Error('stdin was read'))
    },
  })

/** Runs encrypt with stdout and stderr captured. */
async function run(options: Options): Promise<{ code: number; stdout: string; stderr: string }> {
  const {
    value: code,
    stdout,
    stderr,
  } = await captureOutput(() => encrypt({ stdin: unread(), ...options, invocation: INVOCATION }))
  return { code, stdout, stderr }
}

/** A stdin holding these chunks; a terminal when `isTTY`. */
const stdinOf = (chunks: (string | Buffer)[], isTTY?: boolean): Readable & { isTTY?: boolean } =>
  Object.assign(Readable.from(chunks, { objectMode: true }), isTTY === undefined ? {} : { isTTY })

/** The one line printed, checked as `{jwe}<compact>\n`, decrypted with keygen's EC key. */
async function decryptEc(stdout: string): Promise<string> {
  expect(stdout).toMatch(/^\{jwe\}[\w-]+\.[\w-]*\.[\w-]+\.[\w-]*\.[\w-]+\n$/)
  const decryptor = await createDecryptor(ecPrivate, 'K')
  return (await decryptor.decrypt(stdout.slice('{jwe}'.length, -1))).toString('utf8')
}

describe('encrypt (in-process): refusals', () => {
  it('without --key: one line naming keygen as the user runs it, exit 2, stdin not read', async () => {
    expect(await run({ value: 'v' })).toEqual({
      code: 2,
      stdout: '',
      stderr: `config-sidecar encrypt: --key <public.jwks.json> is required (made by ${INVOCATION} keygen)\n`,
    })
    expect(await run({})).toMatchObject({ code: 2, stdout: '' })
  })

  it('with a key file that cannot be read: one line naming it, exit 2, stdin not read', async () => {
    const missing = join(dir.path, 'missing.json')
    expect(await run({ key: missing })).toEqual({
      code: 2,
      stdout: '',
      stderr: `config-sidecar encrypt: cannot read ${missing}\n`,
    })
    expect(await run({ key: dir.path, value: 'v' })).toEqual({
      code: 2,
      stdout: '',
      stderr: `config-sidecar encrypt: cannot read ${dir.path}\n`,
    })
  })

  it('refuses an empty argument, naming it and --allow-empty, stdin not read', async () => {
    for (const allowEmpty of [undefined, false]) {
      expect(await run({ key: ecPublic, value: '', allowEmpty })).toEqual({
        code: 2,
        stdout: '',
        stderr:
          'config-sidecar encrypt: the value is empty (an empty argument): nothing encrypted (--allow-empty encrypts an empty string)\n',
      })
    }
  })

  it.each([
    { what: 'empty stdin', chunks: [] },
    { what: 'one newline', chunks: ['\n'] },
    { what: 'one CRLF', chunks: ['\r\n'] },
    { what: 'one CRLF in two chunks', chunks: [Buffer.from('\r'), Buffer.from('\n')] },
  ])('refuses stdin holding $what', async ({ chunks }) => {
    expect(await run({ key: ecPublic, stdin: stdinOf(chunks) })).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'config-sidecar encrypt: the value is empty (nothing on stdin but at most a newline): nothing encrypted (--allow-empty encrypts an empty string)\n',
    })
  })

  it('exits 1 with the SidecarError message when the key set refuses the request', async () => {
    const value = randomSecret('refused')
    const cases: { options: Options; line: string }[] = [
      { options: { kid: 'other' }, line: 'no key with kid "other"' },
      { options: { alg: 'RSA1_5' }, line: 'alg RSA1_5 is not accepted' },
      { options: { enc: 'A192GCM' }, line: 'enc A192GCM is not accepted' },
      {
        options: { alg: 'RSA-OAEP-256' },
        line: 'alg RSA-OAEP-256 needs an RSA key, but key "ec-kid" is EC',
      },
    ]
    for (const { options, line } of cases) {
      expect(await run({ key: ecPublic, value, ...options })).toEqual({
        code: 1,
        stdout: '',
        stderr: `config-sidecar encrypt: ${line}\n`,
      })
    }
    const notASet = join(dir.path, 'not-a-set.json')
    await writeFile(notASet, 'not json')
    expect(await run({ key: notASet, value })).toEqual({
      code: 1,
      stdout: '',
      stderr: 'config-sidecar encrypt: the key file is not a JWK Set ({"keys":[…]})\n',
    })
  })

  it('exits 1 with "encryption failed" when the JOSE library itself throws', async () => {
    // A 16-byte key asked for A256KW: node-jose throws a plain Error ("unsupported algorithm").
    const short = join(dir.path, 'short-oct.json')
    const k = randomBytes(16).toString('base64url')
    await writeFile(short, JSON.stringify({ keys: [{ kty: 'oct', kid: 'o', k }] }))
    const value = randomSecret('lib')
    expect(await run({ key: short, alg: 'A256KW', value })).toEqual({
      code: 1,
      stdout: '',
      stderr: 'config-sidecar encrypt: encryption failed\n',
    })
  })
})

describe('encrypt (in-process): what it prints', () => {
  it('encrypts a value given as an argument: one line, nothing on stderr, stdin not read', async () => {
    const value = randomSecret('arg')
    const result = await run({ key: ecPublic, value, stdin: stdinOf(['not this'], true) })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toBe('')
    expect(result.stdout).not.toContain(value)
    expect(headerOf(result.stdout.slice(5, -1))).toEqual({
      alg: 'ECDH-ES+A256KW',
      enc: 'A256GCM',
      kid: 'ec-kid',
      epk: expect.any(Object) as unknown,
    })
    expect(await decryptEc(result.stdout)).toBe(value)
  })

  it('with --allow-empty encrypts an empty argument or empty stdin to ""', async () => {
    for (const options of [{ value: '' }, { stdin: stdinOf(['\n']) }, { stdin: stdinOf([]) }]) {
      const result = await run({ key: ecPublic, allowEmpty: true, ...options })
      expect(result.code, result.stderr).toBe(0)
      expect(result.stderr).toBe('')
      expect(await decryptEc(result.stdout)).toBe('')
    }
  })

  it('with --allow-empty still encrypts a value that is not empty', async () => {
    const value = randomSecret('allow')
    const result = await run({ key: ecPublic, allowEmpty: true, value })
    expect(result.code, result.stderr).toBe(0)
    expect(await decryptEc(result.stdout)).toBe(value)
  })

  it.each([
    { what: 'one LF dropped', chunks: ['abc\n'], expected: 'abc' },
    { what: 'one CRLF dropped', chunks: ['abc\r\n'], expected: 'abc' },
    { what: 'only the last of two LFs dropped', chunks: ['abc\n\n'], expected: 'abc\n' },
    { what: 'only the last of two CRLFs dropped', chunks: ['a\r\n\r\n'], expected: 'a\r\n' },
    { what: 'a lone CR kept', chunks: ['abc\r'], expected: 'abc\r' },
    { what: 'no newline', chunks: ['abc'], expected: 'abc' },
    { what: 'a leading newline kept', chunks: ['\nabc'], expected: '\nabc' },
    { what: 'inner newlines kept', chunks: ['one\ntwo\n'], expected: 'one\ntwo' },
    { what: 'two newlines read as one', chunks: ['\n\n'], expected: '\n' },
    { what: 'string chunks joined', chunks: ['ab', 'c', '\n'], expected: 'abc' },
    {
      what: 'byte chunks joined before decoding (é split)',
      chunks: [Buffer.from([0x61, 0xc3]), Buffer.from([0xa9, 0x0a])],
      expected: 'aé',
    },
    { what: 'string and byte chunks mixed', chunks: ['x', Buffer.from('y\n')], expected: 'xy' },
  ])('reads stdin: $what', async ({ chunks, expected }) => {
    const result = await run({ key: ecPublic, stdin: stdinOf(chunks) })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toBe('')
    expect(await decryptEc(result.stdout)).toBe(expected)
  })

  it('on a terminal, first prompts on stderr (and still refuses an empty value after it)', async () => {
    const value = randomSecret('typed')
    const typed = await run({ key: ecPublic, stdin: stdinOf([`${value}\n`], true) })
    expect(typed.code, typed.stderr).toBe(0)
    expect(typed.stderr).toBe(PROMPT)
    expect(await decryptEc(typed.stdout)).toBe(value)

    const empty = await run({ key: ecPublic, stdin: stdinOf(['\n'], true) })
    expect(empty).toEqual({
      code: 2,
      stdout: '',
      stderr: `${PROMPT}config-sidecar encrypt: the value is empty (nothing on stdin but at most a newline): nothing encrypted (--allow-empty encrypts an empty string)\n`,
    })
  })

  it('piped (isTTY false or absent), says nothing on stderr', async () => {
    for (const isTTY of [false, undefined]) {
      const value = randomSecret('piped')
      const result = await run({ key: ecPublic, stdin: stdinOf([`${value}\n`], isTTY) })
      expect(result.code, result.stderr).toBe(0)
      expect(result.stderr).toBe('')
      expect(await decryptEc(result.stdout)).toBe(value)
    }
  })

  it('passes --kid, --alg and --enc on: the header names them and the chosen key decrypts', async () => {
    const value = randomSecret('options')
    const result = await run({
      key: rsaPublic,
      kid: 'rsa-2',
      alg: 'RSA-OAEP',
      enc: 'A128CBC-HS256',
      value,
    })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toBe('')
    const compact = result.stdout.slice('{jwe}'.length, -1)
    expect(result.stdout).toBe(`{jwe}${compact}\n`)
    expect(headerOf(compact)).toEqual({ alg: 'RSA-OAEP', enc: 'A128CBC-HS256', kid: 'rsa-2' })
    const decryptor = await createDecryptor(privateSet(rsaOne, rsaTwo), 'K')
    expect((await decryptor.decrypt(compact)).toString('utf8')).toBe(value)
    // jose (another library) reads it with the second key only.
    const { plaintext } = await compactDecrypt(compact, rsaTwo.privateJwk)
    expect(new TextDecoder().decode(plaintext)).toBe(value)
  })

  it('without --kid uses the first key, RSA-OAEP-256 and A256GCM', async () => {
    const result = await run({ key: rsaPublic, value: 'v' })
    expect(result.code, result.stderr).toBe(0)
    expect(headerOf(result.stdout.slice(5, -1))).toEqual({
      alg: 'RSA-OAEP-256',
      enc: 'A256GCM',
      kid: 'rsa-1',
    })
  })
})
