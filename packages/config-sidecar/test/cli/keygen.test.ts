// `keygen` never replaces a key file unless asked: a key replaced by mistake leaves every secret
// encrypted to it unreadable. With either file of the prefix present it says so in one line
// naming the file and --force, exits 2 and writes nothing; with --force it replaces both, the
// private set still mode 0600, written whole (temp file and rename, so a new inode).
import { existsSync } from 'node:fs'
import { chmod, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { modeUnderUmask, tempDir } from '../../../../test-support/files.js'
import { createDecryptor } from '../../src/document/crypto/index.js'
import { cli, requireBuild } from './support.js'
import type { Jwks } from './support.js'

let dir: { path: string; remove: () => Promise<void> }

beforeAll(async () => {
  requireBuild()
  dir = await tempDir()
})
afterAll(async () => {
  await dir.remove()
})

/** Makes an EC key pair under `name` in the temp directory (quick: P-256). */
async function keygen(
  name: string,
  ...more: string[]
): Promise<{ prefix: string; code: number | null; stdout: string; stderr: string }> {
  const prefix = join(dir.path, name)
  const result = await cli(['keygen', '--type', 'ec', '--kid', name, '--out', prefix, ...more])
  return { prefix, ...result }
}

const privateOf = (prefix: string): string => `${prefix}.private.jwks.json`
const publicOf = (prefix: string): string => `${prefix}.public.jwks.json`
const files = async (prefix: string): Promise<[Buffer, Buffer]> =>
  Promise.all([readFile(privateOf(prefix)), readFile(publicOf(prefix))])

describe('config-sidecar keygen over existing key files', () => {
  it('refuses when both exist: one line naming them and --force, exit 2, both files byte-identical', async () => {
    const first = await keygen('both')
    expect(first.code, first.stderr).toBe(0)
    const before = await files(first.prefix)
    const beforeInodes = await Promise.all(
      [privateOf(first.prefix), publicOf(first.prefix)].map(async (path) => (await stat(path)).ino),
    )

    const again = await keygen('both')
    expect(again.code).toBe(2)
    expect(again.stdout).toBe('')
    const lines = again.stderr.trimEnd().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(privateOf(first.prefix))
    expect(lines[0]).toContain('--force')
    expect(await files(first.prefix)).toEqual(before)
    const afterInodes = await Promise.all(
      [privateOf(first.prefix), publicOf(first.prefix)].map(async (path) => (await stat(path)).ino),
    )
    expect(afterInodes).toEqual(beforeInodes)
    // No temp file left beside them either.
    expect((await readdir(dir.path)).filter((name) => name.startsWith('both.'))).toEqual([
      'both.private.jwks.json',
      'both.public.jwks.json',
    ])
  })

  it.each([
    { present: 'private', write: privateOf, absent: publicOf },
    { present: 'public', write: publicOf, absent: privateOf },
  ])(
    'refuses when only the $present set exists, and writes neither',
    async ({ present, write, absent }) => {
      const prefix = join(dir.path, `only-${present}`)
      const content = `{"keys":[],"note":"the ${present} set, kept"}\n`
      await writeFile(write(prefix), content, { mode: 0o600 })

      const result = await keygen(`only-${present}`)
      expect(result.code).toBe(2)
      expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringContaining(write(prefix))])
      expect(result.stderr).toContain('--force')
      expect(result.stderr).not.toContain(absent(prefix))
      expect(await readFile(write(prefix), 'utf8')).toBe(content)
      expect(existsSync(absent(prefix))).toBe(false)
    },
  )

  it('counts a dangling symlink as an existing file (it would write through it)', async () => {
    const prefix = join(dir.path, 'link')
    const target = join(dir.path, 'elsewhere.json')
    await symlink(target, publicOf(prefix))
    const result = await keygen('link')
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(publicOf(prefix))
    expect(existsSync(target)).toBe(false)
    expect(existsSync(privateOf(prefix))).toBe(false)
  })

  it('refuses under the default name too (config-keys-<kid>), where the kid makes the name', async () => {
    const work = await tempDir()
    try {
      const args = ['keygen', '--type', 'ec', '--kid', 'fixed-kid']
      const first = await cli(args, { cwd: work.path })
      expect(first.code, first.stderr).toBe(0)
      const before = await readFile(join(work.path, 'config-keys-fixed-kid.private.jwks.json'))
      const again = await cli(args, { cwd: work.path })
      expect(again.code).toBe(2)
      expect(again.stderr).toContain('config-keys-fixed-kid.private.jwks.json')
      expect(await readFile(join(work.path, 'config-keys-fixed-kid.private.jwks.json'))).toEqual(
        before,
      )
    } finally {
      await work.remove()
    }
  })

  it('with --force replaces both, the private set mode 0600 in a new file', async () => {
    const first = await keygen('forced')
    expect(first.code, first.stderr).toBe(0)
    // Loosen the old private file: --force must not keep its mode (a rename puts a new file there).
    await chmod(privateOf(first.prefix), 0o644)
    const before = await files(first.prefix)
    const oldInode = (await stat(privateOf(first.prefix))).ino

    const forced = await keygen('forced', '--force')
    expect(forced.code, forced.stderr).toBe(0)
    expect(forced.stderr).toBe('')
    const after = await files(first.prefix)
    expect(after[0]).not.toEqual(before[0])
    expect(after[1]).not.toEqual(before[1])
    const privateStat = await stat(privateOf(first.prefix))
    expect(privateStat.mode & 0o777).toBe(0o600)
    expect(privateStat.ino).not.toBe(oldInode)
    expect((await stat(publicOf(first.prefix))).mode & 0o777).toBe(modeUnderUmask(0o644))

    // The new pair belongs together, and the private set is a working CONFIG_KEYS.
    const privateSet = JSON.parse(after[0].toString('utf8')) as Jwks
    const publicSet = JSON.parse(after[1].toString('utf8')) as Jwks
    expect(publicSet.keys[0]!['x']).toBe(privateSet.keys[0]!['x'])
    const decryptor = await createDecryptor(JSON.stringify(privateSet), 'CONFIG_KEYS')
    expect(decryptor.keyIds).toEqual(['forced'])
  })

  it('with --force writes as usual where nothing exists', async () => {
    const result = await keygen('fresh-forced', '--force')
    expect(result.code, result.stderr).toBe(0)
    expect((await stat(privateOf(result.prefix))).mode & 0o777).toBe(0o600)
    expect(existsSync(publicOf(result.prefix))).toBe(true)
  })
})
