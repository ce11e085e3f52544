// `keygen` called in-process (the function main.ts calls), so that mutation testing sees it: the
// two key files with their modes and exact content, the three lines on stdout (paths and kid, never
// a key), and every refusal (unknown type, either file present, a dangling symlink, the default
// name) with its one line on stderr, exit 2 and nothing written; --force replaces both.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import {
  chmod,
  lstat,
  readFile,
  readdir,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { captureOutput } from '../../../../test-support/logs.js'
import { modeUnderUmask, tempDir } from '../../../../test-support/files.js'
import { omit } from '../../../../test-support/jose.js'
import { keygen } from '../../src/cli/keygen.js'
import { createDecryptor } from '../../src/document/crypto/index.js'

const INVOCATION = 'node dist/push/sidecar/main.mjs'
const PRIVATE_FIELDS = ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const

interface Jwks {
  keys: Record<string, string>[]
}

let dir: { path: string; remove: () => Promise<void> }
/** Files a test made in the working directory (the default names), removed after it. */
let leftovers: string[] = []

beforeEach(async () => {
  dir = await tempDir('config-sidecar-keygen-')
})
afterEach(async () => {
  await Promise.all(leftovers.map((path) => rm(path, { force: true })))
  leftovers = []
  await dir.remove()
})

/**
 * The default prefix for `kid`, relative as keygen prints it; its files (in the working directory:
 * workers cannot chdir) are removed after the test.
 */
function defaultPrefix(kid: string): string {
  const prefix = `config-keys-${kid}`
  leftovers.push(join(process.cwd(), privateOf(prefix)), join(process.cwd(), publicOf(prefix)))
  return prefix
}

/** A kid no other run uses, so that default names never meet existing files. */
const uniqueKid = (label: string): string => `ip-keygen-${label}-${randomBytes(4).toString('hex')}`

/** Runs keygen with stdout and stderr captured. */
async function run(
  options: Omit<Parameters<typeof keygen>[0], 'invocation'>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const {
    value: code,
    stdout,
    stderr,
  } = await captureOutput(() => keygen({ ...options, invocation: INVOCATION }))
  return { code, stdout, stderr }
}

const privateOf = (prefix: string): string => `${prefix}.private.jwks.json`
const publicOf = (prefix: string): string => `${prefix}.public.jwks.json`

const summaryOf = (kid: string, alg: string, prefix: string): string =>
  `${JSON.stringify({ kid, alg, private: privateOf(prefix), public: publicOf(prefix) })}\n` +
  `private key set (mode 0600, give it to the sidecar as CONFIG_KEYS=file:${privateOf(prefix)}): ${privateOf(prefix)}\n` +
  `public key set (for ${INVOCATION} encrypt --key): ${publicOf(prefix)}\n`

const refusal = (...paths: string[]): string =>
  `config-sidecar keygen: ${paths.join(' and ')} ${paths.length === 1 ? 'exists' : 'exist'}: nothing written (--force replaces both key files; or choose another --out)\n`

/** Reads a key file, checking that it is the set pretty-printed with a final newline. */
async function readSet(path: string): Promise<Jwks> {
  const text = await readFile(path, 'utf8')
  const set = JSON.parse(text) as Jwks
  expect(text).toBe(`${JSON.stringify(set, null, 2)}\n`)
  return set
}

async function checkPair(
  prefix: string,
  expected: { kid: string; alg: string; kty: string },
): Promise<{ privateKey: Record<string, string>; publicKey: Record<string, string> }> {
  expect((await stat(privateOf(prefix))).mode & 0o777).toBe(0o600)
  expect((await stat(publicOf(prefix))).mode & 0o777).toBe(modeUnderUmask(0o644))
  const privateSet = await readSet(privateOf(prefix))
  const publicSet = await readSet(publicOf(prefix))
  expect(privateSet.keys).toHaveLength(1)
  expect(publicSet.keys).toHaveLength(1)
  const privateKey = privateSet.keys[0]!
  const publicKey = publicSet.keys[0]!
  expect(privateKey).toMatchObject({ ...expected, use: 'enc' })
  expect(publicKey).toMatchObject({ ...expected, use: 'enc' })
  expect(typeof privateKey['d']).toBe('string')
  for (const field of PRIVATE_FIELDS) expect(publicKey).not.toHaveProperty(field)
  // The two belong together, and the private set is a working CONFIG_KEYS.
  expect(publicKey).toEqual(omit(privateKey, ...PRIVATE_FIELDS))
  const decryptor = await createDecryptor(JSON.stringify(privateSet), 'CONFIG_KEYS')
  expect(decryptor.keyIds).toEqual([expected.kid])
  return { privateKey, publicKey }
}

describe('keygen (in-process)', () => {
  it('makes an RSA 3072 pair by default: 0600 private set, 0644 public set, paths on stdout', async () => {
    const prefix = join(dir.path, 'default-type')
    const result = await run({ kid: 'rsa-kid', out: prefix })
    expect(result).toEqual({
      code: 0,
      stdout: summaryOf('rsa-kid', 'RSA-OAEP-256', prefix),
      stderr: '',
    })
    const { privateKey } = await checkPair(prefix, {
      kid: 'rsa-kid',
      alg: 'RSA-OAEP-256',
      kty: 'RSA',
    })
    expect(Buffer.from(privateKey['n']!, 'base64url').length * 8).toBe(3072)
    expect((await readdir(dir.path)).sort()).toEqual([
      'default-type.private.jwks.json',
      'default-type.public.jwks.json',
    ])
  })

  it('--type ec makes a P-256 pair for ECDH-ES+A256KW and prints no key material', async () => {
    const prefix = join(dir.path, 'ec')
    const result = await run({ type: 'ec', kid: 'ec-kid', out: prefix, force: false })
    expect(result).toEqual({
      code: 0,
      stdout: summaryOf('ec-kid', 'ECDH-ES+A256KW', prefix),
      stderr: '',
    })
    const { privateKey } = await checkPair(prefix, {
      kid: 'ec-kid',
      alg: 'ECDH-ES+A256KW',
      kty: 'EC',
    })
    expect(privateKey['crv']).toBe('P-256')
    for (const field of ['d', 'x', 'y']) expect(result.stdout).not.toContain(privateKey[field])
  })

  it('--type rsa is taken as given', async () => {
    const prefix = join(dir.path, 'rsa')
    const result = await run({ type: 'rsa', kid: 'k', out: prefix })
    expect(result.code, result.stderr).toBe(0)
    await checkPair(prefix, { kid: 'k', alg: 'RSA-OAEP-256', kty: 'RSA' })
  })

  it.each(['dsa', 'RSA', 'EC', ''])(
    'refuses --type %j: one line, exit 2, nothing written',
    async (type) => {
      const result = await run({ type, kid: 'k', out: join(dir.path, 'nope') })
      expect(result).toEqual({
        code: 2,
        stdout: '',
        stderr:
          'config-sidecar keygen: --type must be rsa (RSA-OAEP-256) or ec (ECDH-ES+A256KW on P-256)\n',
      })
      expect(await readdir(dir.path)).toEqual([])
    },
  )

  it('without --out writes config-keys-<kid> in the working directory', async () => {
    const kid = uniqueKid('default')
    const prefix = defaultPrefix(kid)
    const result = await run({ type: 'ec', kid })
    expect(result).toEqual({
      code: 0,
      stdout: summaryOf(kid, 'ECDH-ES+A256KW', prefix),
      stderr: '',
    })
    await checkPair(join(process.cwd(), prefix), { kid, alg: 'ECDH-ES+A256KW', kty: 'EC' })
  })

  it('without --kid makes a dated kid, and the default name holds it', async () => {
    const result = await run({ type: 'ec', out: join(dir.path, 'dated') })
    expect(result.code, result.stderr).toBe(0)
    const summary = JSON.parse(result.stdout.split('\n')[0]!) as { kid: string }
    expect(summary.kid).toMatch(/^\d{4}-\d{2}-\d{2}-[0-9a-f]{6}$/)
    expect(summary.kid.slice(0, 10)).toBe(new Date().toISOString().slice(0, 10))
    await checkPair(join(dir.path, 'dated'), {
      kid: summary.kid,
      alg: 'ECDH-ES+A256KW',
      kty: 'EC',
    })
  })

  it('refuses under the default name when its files exist, and keeps them', async () => {
    const kid = uniqueKid('again')
    const prefix = defaultPrefix(kid)
    const first = await run({ type: 'ec', kid })
    expect(first.code, first.stderr).toBe(0)
    const before = await readFile(join(process.cwd(), privateOf(prefix)))
    const again = await run({ type: 'ec', kid })
    expect(again).toEqual({
      code: 2,
      stdout: '',
      stderr: refusal(privateOf(prefix), publicOf(prefix)),
    })
    expect(await readFile(join(process.cwd(), privateOf(prefix)))).toEqual(before)
  })

  it('with --out, refuses before making the key: files removed while a key would be made do not count', async () => {
    // The first check comes before the slow part (RSA 3072, about a second). Were it skipped, the
    // files removed 300 ms in, while the key is still being made, would be gone at the second check.
    const prefix = join(dir.path, 'early')
    const paths = [privateOf(prefix), publicOf(prefix)]
    for (const path of paths) await writeFile(path, '{"keys":[]}\n')
    const pending = run({ type: 'rsa', kid: 'k', out: prefix })
    await new Promise((resolve) => setTimeout(resolve, 300))
    await Promise.all(paths.map((path) => rm(path)))
    expect(await pending).toEqual({ code: 2, stdout: '', stderr: refusal(...paths) })
    expect(await readdir(dir.path)).toEqual([])
  })

  it('without --out checks only the default names (not "undefined.*")', async () => {
    // A file named as a prefix of `undefined` would be: nothing to do with this run.
    const stray = join(process.cwd(), publicOf('undefined'))
    const created = await writeFile(stray, 'stray\n', { flag: 'wx' }).then(
      () => true,
      () => false,
    )
    try {
      const kid = uniqueKid('stray')
      const prefix = defaultPrefix(kid)
      const result = await run({ type: 'ec', kid })
      expect(result).toEqual({
        code: 0,
        stdout: summaryOf(kid, 'ECDH-ES+A256KW', prefix),
        stderr: '',
      })
    } finally {
      if (created) await rm(stray, { force: true })
    }
  })

  it('refuses when both files of --out exist: one line naming both, files and inodes kept', async () => {
    const prefix = join(dir.path, 'both')
    expect((await run({ type: 'ec', kid: 'both', out: prefix })).code).toBe(0)
    const paths = [privateOf(prefix), publicOf(prefix)]
    const before = await Promise.all(paths.map((path) => readFile(path)))
    const inodes = await Promise.all(paths.map(async (path) => (await stat(path)).ino))

    const again = await run({ type: 'ec', kid: 'both', out: prefix })
    expect(again).toEqual({ code: 2, stdout: '', stderr: refusal(...paths) })
    expect(await Promise.all(paths.map((path) => readFile(path)))).toEqual(before)
    expect(await Promise.all(paths.map(async (path) => (await stat(path)).ino))).toEqual(inodes)
    expect((await readdir(dir.path)).sort()).toEqual([
      'both.private.jwks.json',
      'both.public.jwks.json',
    ])
  })

  it.each([
    { present: 'private', write: privateOf, absent: publicOf },
    { present: 'public', write: publicOf, absent: privateOf },
  ])(
    'refuses when only the $present set exists, naming it alone, and writes neither',
    async ({ present, write, absent }) => {
      const prefix = join(dir.path, `only-${present}`)
      const content = `{"keys":[],"note":"the ${present} set, kept"}\n`
      await writeFile(write(prefix), content, { mode: 0o600 })
      const result = await run({ type: 'ec', kid: 'k', out: prefix })
      expect(result).toEqual({ code: 2, stdout: '', stderr: refusal(write(prefix)) })
      expect(await readFile(write(prefix), 'utf8')).toBe(content)
      expect(existsSync(absent(prefix))).toBe(false)
    },
  )

  it('counts a dangling symlink as an existing file, and writes nothing through it', async () => {
    const prefix = join(dir.path, 'link')
    const target = join(dir.path, 'elsewhere.json')
    await symlink(target, publicOf(prefix))
    const result = await run({ type: 'ec', kid: 'k', out: prefix })
    expect(result).toEqual({ code: 2, stdout: '', stderr: refusal(publicOf(prefix)) })
    expect(existsSync(target)).toBe(false)
    expect(existsSync(privateOf(prefix))).toBe(false)
    expect(await readlink(publicOf(prefix))).toBe(target)
  })

  it('with --force replaces both, the private set 0600 in a new file', async () => {
    const prefix = join(dir.path, 'forced')
    expect((await run({ type: 'ec', kid: 'old', out: prefix })).code).toBe(0)
    await chmod(privateOf(prefix), 0o644)
    const oldInode = (await stat(privateOf(prefix))).ino
    const before = await Promise.all([readFile(privateOf(prefix)), readFile(publicOf(prefix))])

    const forced = await run({ type: 'ec', kid: 'new', out: prefix, force: true })
    expect(forced).toEqual({
      code: 0,
      stdout: summaryOf('new', 'ECDH-ES+A256KW', prefix),
      stderr: '',
    })
    const after = await Promise.all([readFile(privateOf(prefix)), readFile(publicOf(prefix))])
    expect(after[0]).not.toEqual(before[0])
    expect(after[1]).not.toEqual(before[1])
    expect((await stat(privateOf(prefix))).ino).not.toBe(oldInode)
    await checkPair(prefix, { kid: 'new', alg: 'ECDH-ES+A256KW', kty: 'EC' })
  })

  it('with --force replaces a symlink itself, not its target', async () => {
    const prefix = join(dir.path, 'forced-link')
    const target = join(dir.path, 'target.json')
    await writeFile(target, 'kept\n')
    await symlink(target, privateOf(prefix))
    const forced = await run({ type: 'ec', kid: 'k', out: prefix, force: true })
    expect(forced.code, forced.stderr).toBe(0)
    expect(await readFile(target, 'utf8')).toBe('kept\n')
    expect((await lstat(privateOf(prefix))).isSymbolicLink()).toBe(false)
    await checkPair(prefix, { kid: 'k', alg: 'ECDH-ES+A256KW', kty: 'EC' })
  })

  it('with --force under the default name replaces the files there', async () => {
    const kid = uniqueKid('forced')
    const prefix = defaultPrefix(kid)
    expect((await run({ type: 'ec', kid })).code).toBe(0)
    const before = await readFile(join(process.cwd(), privateOf(prefix)))
    const forced = await run({ type: 'ec', kid, force: true })
    expect(forced).toEqual({
      code: 0,
      stdout: summaryOf(kid, 'ECDH-ES+A256KW', prefix),
      stderr: '',
    })
    expect(await readFile(join(process.cwd(), privateOf(prefix)))).not.toEqual(before)
  })
})
