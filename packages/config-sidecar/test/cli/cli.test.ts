// The CLI as users run it: the built sidecar's `keygen` and `encrypt` verbs in child processes
// (build first: `npx tsc -b`). Keys are written with the right modes, the private key
// never reaches stdout, and what `encrypt` prints is a secret the sidecar decrypts.
import { existsSync } from 'node:fs'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { compactDecrypt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { modeUnderUmask, tempDir } from '../../../../test-support/files.js'
import { createDecryptor } from '../../src/document/crypto/index.js'
import { headerOf, omit, randomSecret } from '../../../../test-support/jose.js'
import { startInProcessSidecar } from '../../../../test-support/in-process-sidecar.js'
import { cli, requireBuild } from './support.js'
import type { CliResult, Jwks } from './support.js'

const PRIVATE_FIELDS = ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const

let dir: { path: string; remove: () => Promise<void> }
const made: Record<'rsa' | 'ec', { privatePath: string; publicPath: string; result: CliResult }> =
  {} as never

beforeAll(async () => {
  requireBuild()
  dir = await tempDir()
  // Both key types at once: RSA 3072 generation is the slow part.
  await Promise.all(
    (['rsa', 'ec'] as const).map(async (type) => {
      const prefix = join(dir.path, `${type}-keys`)
      const result = await cli(['keygen', '--type', type, '--kid', `cli-${type}`, '--out', prefix])
      made[type] = {
        privatePath: `${prefix}.private.jwks.json`,
        publicPath: `${prefix}.public.jwks.json`,
        result,
      }
    }),
  )
})
afterAll(async () => {
  await dir.remove()
})

describe('config-sidecar keygen', () => {
  it.each([
    { type: 'rsa' as const, alg: 'RSA-OAEP-256', kty: 'RSA' },
    { type: 'ec' as const, alg: 'ECDH-ES+A256KW', kty: 'EC' },
  ])(
    '--type $type writes a 0600 private set and a public set, and prints no key',
    async ({ type, alg, kty }) => {
      const { privatePath, publicPath, result } = made[type]
      expect(result.code).toBe(0)
      expect(result.stderr).toBe('')

      expect((await stat(privatePath)).mode & 0o777).toBe(0o600)
      // 0644 as asked (less the umask the test runs under): anyone may read the public set.
      expect((await stat(publicPath)).mode & 0o777).toBe(modeUnderUmask(0o644))
      const privateSet = JSON.parse(await readFile(privatePath, 'utf8')) as Jwks
      const publicSet = JSON.parse(await readFile(publicPath, 'utf8')) as Jwks
      expect(privateSet.keys).toHaveLength(1)
      expect(publicSet.keys).toHaveLength(1)
      const [privateKey] = privateSet.keys as [Record<string, string>]
      const [publicKey] = publicSet.keys as [Record<string, string>]
      expect(privateKey).toMatchObject({ kid: `cli-${type}`, alg, use: 'enc', kty })
      expect(publicKey).toMatchObject({ kid: `cli-${type}`, alg, use: 'enc', kty })
      if (type === 'ec') expect(privateKey['crv']).toBe('P-256')
      else expect(Buffer.from(privateKey['n']!, 'base64url').length * 8).toBe(3072)
      for (const field of PRIVATE_FIELDS) expect(publicKey).not.toHaveProperty(field)
      expect(typeof privateKey['d']).toBe('string')

      // stdout names the files and the kid; no private (or public) key material.
      const [summary] = result.stdout.split('\n')
      expect(JSON.parse(summary!)).toEqual({
        kid: `cli-${type}`,
        alg,
        private: privatePath,
        public: publicPath,
      })
      for (const field of PRIVATE_FIELDS) {
        const value = privateKey[field]
        if (value !== undefined) expect(result.stdout).not.toContain(value.slice(0, 12))
      }
      expect(result.stdout).not.toContain((publicKey['n'] ?? publicKey['x'])!.slice(0, 12))

      // The private set is a working CONFIG_KEYS.
      const decryptor = await createDecryptor(JSON.stringify(privateSet), 'CONFIG_KEYS')
      expect(decryptor.keyIds).toEqual([`cli-${type}`])
    },
  )

  it('makes a dated kid and a default file name when none is given', async () => {
    const result = await cli(['keygen', '--type', 'ec'], { cwd: dir.path })
    expect(result.code).toBe(0)
    const summary = JSON.parse(result.stdout.split('\n')[0]!) as { kid: string; private: string }
    expect(summary.kid).toMatch(/^\d{4}-\d{2}-\d{2}-[0-9a-f]{6}$/)
    expect(summary.private).toBe(`config-keys-${summary.kid}.private.jwks.json`)
    expect((await stat(join(dir.path, summary.private))).mode & 0o777).toBe(0o600)
  })

  it('refuses an unknown key type', async () => {
    const result = await cli(['keygen', '--type', 'dsa', '--out', join(dir.path, 'nope')])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--type must be rsa')
    expect(existsSync(join(dir.path, 'nope.private.jwks.json'))).toBe(false)
  })
})

describe('config-sidecar encrypt', () => {
  const decrypt = async (type: 'rsa' | 'ec', secret: string): Promise<string> => {
    const decryptor = await createDecryptor(await readFile(made[type].privatePath, 'utf8'), 'K')
    return (await decryptor.decrypt(secret.slice('{jwe}'.length))).toString('utf8')
  }

  it.each(['rsa', 'ec'] as const)(
    'encrypts a value given as an argument (%s key)',
    async (type) => {
      const value = randomSecret('arg')
      const result = await cli(['encrypt', '--key', made[type].publicPath, value])
      expect(result.code).toBe(0)
      expect(result.stderr).toBe('')
      expect(result.stdout).toMatch(/^\{jwe\}[\w-]+\.[\w-]*\.[\w-]+\.[\w-]*\.[\w-]+\n$/)
      expect(result.stdout).not.toContain(value)
      const secret = result.stdout.trim()
      expect(headerOf(secret.slice(5))).toMatchObject({ kid: `cli-${type}` })
      expect(await decrypt(type, secret)).toBe(value)

      // jose decrypts it too.
      const { keys } = JSON.parse(await readFile(made[type].privatePath, 'utf8')) as Jwks
      const { plaintext } = await compactDecrypt(secret.slice(5), keys[0]!)
      expect(new TextDecoder().decode(plaintext)).toBe(value)
    },
  )

  it('encrypts a value piped to stdin, dropping one trailing newline only, and says nothing else', async () => {
    const value = randomSecret('stdin')
    const cases: [input: string, expected: string][] = [
      [`${value}\n`, value],
      [value, value],
      [`line one\nline two\n\n`, 'line one\nline two\n'],
      [`\n${value}`, `\n${value}`],
    ]
    const results = await Promise.all(
      cases.map(([input]) => cli(['encrypt', '--key', made.ec.publicPath], { input })),
    )
    for (const [index, result] of results.entries()) {
      expect(result.code).toBe(0)
      // Piped, not a terminal: no prompt, nothing on stderr.
      expect(result.stderr).toBe('')
      expect(result.stdout.startsWith('{jwe}')).toBe(true)
      expect(await decrypt('ec', result.stdout.trim())).toBe(cases[index]![1])
    }
  })

  it('takes --alg, --enc and --kid, with the private set as well as the public one', async () => {
    // keygen's keys carry an `alg`, which limits them to that algorithm; this set has none.
    const free = join(dir.path, 'no-alg.jwks.json')
    const { keys } = JSON.parse(await readFile(made.rsa.privatePath, 'utf8')) as Jwks
    await writeFile(free, JSON.stringify({ keys: keys.map((key) => omit(key, 'alg')) }), {
      mode: 0o600,
    })
    const result = await cli(
      ['encrypt', '--key', free, '--kid', 'cli-rsa', '--alg', 'RSA-OAEP', '--enc', 'A128CBC-HS256'],
      { input: 'v' },
    )
    expect(result.code).toBe(0)
    const secret = result.stdout.trim()
    expect(headerOf(secret.slice(5))).toEqual({
      alg: 'RSA-OAEP',
      enc: 'A128CBC-HS256',
      kid: 'cli-rsa',
    })
    const decryptor = await createDecryptor(await readFile(free, 'utf8'), 'K')
    expect((await decryptor.decrypt(secret.slice(5))).toString()).toBe('v')

    // With keygen's key, another alg is refused plainly (node-jose would say "unsupported").
    const restricted = await cli([
      'encrypt',
      '--key',
      made.rsa.privatePath,
      '--alg',
      'RSA-OAEP',
      'v',
    ])
    expect(restricted.code).toBe(1)
    expect(restricted.stderr).toContain('is for alg RSA-OAEP-256 only')
    // And the decryptor says the same of a token made with another alg by another tool.
    const other = await cli(['encrypt', '--key', free, '--alg', 'RSA-OAEP', 'v'])
    const keygenKeys = await createDecryptor(await readFile(made.rsa.privatePath, 'utf8'), 'K')
    await expect(keygenKeys.decrypt(other.stdout.trim().slice(5))).rejects.toMatchObject({
      code: 'ERR_SECRET_DECRYPTION_FAILED',
      message: expect.stringContaining('is for RSA-OAEP-256 only') as unknown,
    })
  })

  it('refuses what it should, with a message and no secret', async () => {
    const value = randomSecret('refused')
    const cases: { args: string[]; code: number; message: string }[] = [
      { args: ['encrypt', value], code: 2, message: '--key' },
      {
        args: ['encrypt', '--key', join(dir.path, 'missing.json'), value],
        code: 2,
        message: 'cannot read',
      },
      {
        args: ['encrypt', '--key', made.rsa.publicPath, '--alg', 'RSA1_5', value],
        code: 1,
        message: 'RSA1_5 is not accepted',
      },
      {
        args: ['encrypt', '--key', made.rsa.publicPath, '--enc', 'A192GCM', value],
        code: 1,
        message: 'A192GCM is not accepted',
      },
      {
        args: ['encrypt', '--key', made.rsa.publicPath, '--kid', 'other', value],
        code: 1,
        message: 'no key with kid "other"',
      },
      {
        args: ['encrypt', '--key', made.ec.publicPath, '--alg', 'A256KW', value],
        code: 1,
        message: 'needs an oct key',
      },
      {
        args: [
          'encrypt',
          '--key',
          made.ec.publicPath,
          '--enc',
          'A256CBC-HS512',
          '--alg',
          'ECDH-ES',
          value,
        ],
        code: 1,
        message: 'is for alg ECDH-ES+A256KW only',
      },
    ]
    const results = await Promise.all(cases.map(({ args }) => cli(args)))
    for (const [index, { args, code, message }] of cases.entries()) {
      const result = results[index]!
      expect(result.code, args.join(' ')).toBe(code)
      expect(result.stdout).toBe('')
      expect(result.stderr).toContain(message)
      expect(result.stderr).not.toContain(value)
    }
  })

  it('prints secrets the sidecar decrypts', async () => {
    const password = randomSecret('pw')
    const token = randomSecret('token')
    const [one, two] = await Promise.all([
      cli(['encrypt', '--key', made.rsa.publicPath, password]),
      cli(['encrypt', '--key', made.ec.publicPath], { input: `${token}\n` }),
    ])
    const file = join(dir.path, 'app.yaml')
    await writeFile(
      file,
      `database:\n  user: app\n  password: '${one.stdout.trim()}'\napi:\n  token: "${two.stdout.trim()}"\n`,
    )
    const keys = join(dir.path, 'both.private.jwks.json')
    const rsaSet = JSON.parse(await readFile(made.rsa.privatePath, 'utf8')) as Jwks
    const ecSet = JSON.parse(await readFile(made.ec.privatePath, 'utf8')) as Jwks
    await writeFile(keys, JSON.stringify({ keys: [...rsaSet.keys, ...ecSet.keys] }), {
      mode: 0o600,
    })
    const sidecar = await startInProcessSidecar({
      CONFIG_SOURCE: `file:${file}`,
      CONFIG_KEYS: `file:${keys}`,
      CONFIG_CACHE_DIR: join(dir.path, 'cache'),
    })
    try {
      await sidecar.firstRefresh
      expect(await (await sidecar.get('/config/')).json()).toEqual({
        database: { user: 'app', password },
        api: { token },
      })
    } finally {
      await sidecar.stop()
    }
  })
})
