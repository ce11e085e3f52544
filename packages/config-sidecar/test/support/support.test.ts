// The small shared pieces of src/support/: the one error class and its conversion, the CommonJS
// interop of a bundled import(), and the private directory check (made 0700 when missing; refused
// as a symlink, a file, or writable by others, with a message naming the directory).
import { chmod, mkdir, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { modeUnderUmask, tempDir } from '../../../../test-support/files.js'
import { SidecarError, isSidecarError, toSidecarError } from '../../src/support/errors.js'
import { interopDefault } from '../../src/support/interop.js'
import { ensurePrivateDir } from '../../src/support/private-dir.js'

let dir: { path: string; remove: () => Promise<void> }
beforeAll(async () => {
  dir = await tempDir('support-')
})
afterAll(() => dir.remove())

describe('SidecarError', () => {
  it('has its code, message and name, and a cause only when given one', () => {
    const plain = new SidecarError('ERR_SOURCE_UNREADABLE', 'cannot read')
    expect(plain).toBeInstanceOf(Error)
    expect([plain.code, plain.message, plain.name]).toEqual([
      'ERR_SOURCE_UNREADABLE',
      'cannot read',
      'SidecarError',
    ])
    expect('cause' in plain).toBe(false)
    const cause = new Error('underneath')
    expect(new SidecarError('ERR_INTERNAL', 'x', { cause }).cause).toBe(cause)
  })

  it('toSidecarError keeps a SidecarError, and wraps anything else with the fallback code', () => {
    const own = new SidecarError('ERR_UPSTREAM_TIMEOUT', 'slow')
    expect(toSidecarError(own)).toBe(own)
    const thrown = new TypeError('boom')
    const wrapped = toSidecarError(thrown)
    expect(isSidecarError(wrapped)).toBe(true)
    expect([wrapped.code, wrapped.message, wrapped.cause]).toEqual([
      'ERR_INTERNAL',
      'unexpected failure',
      thrown,
    ])
    expect(toSidecarError('a string', 'ERR_SNAPSHOT_UNREADABLE').code).toBe(
      'ERR_SNAPSHOT_UNREADABLE',
    )
    expect(isSidecarError(thrown)).toBe(false)
  })
})

describe('interopDefault', () => {
  const named = { parse: () => 1 }

  it('answers the named exports Node gives a CommonJS package', () => {
    const module = { ...named, default: named }
    expect(interopDefault(module)).toBe(module)
  })

  it('answers `default` where a bundle puts the exports there alone', () => {
    expect(interopDefault({ default: named })).toBe(named)
  })

  it('keeps the module when `default` is no object, or there is none', () => {
    const withString = { default: 'text' }
    expect(interopDefault(withString)).toBe(withString)
    const withNull = { default: null }
    expect(interopDefault(withNull)).toBe(withNull)
    const without = { parse: named.parse }
    expect(interopDefault(without)).toBe(without)
    const empty = {}
    expect(interopDefault(empty)).toBe(empty)
  })
})

describe('ensurePrivateDir', () => {
  const refusal = (path: string, problem: string): string =>
    `cache directory ${path} ${problem}: it must be a directory of this user's alone (mode 0700); remove it or choose another`

  it('makes a missing directory with mode 0700, and accepts it the next time', async () => {
    const path = join(dir.path, 'made')
    await ensurePrivateDir(path, 'cache directory')
    expect((await stat(path)).mode & 0o777).toBe(modeUnderUmask(0o700))
    await expect(ensurePrivateDir(path, 'cache directory')).resolves.toBeUndefined()
  })

  it('refuses a symlink, a file, and a directory others may write, naming the problem', async () => {
    const target = join(dir.path, 'target')
    await mkdir(target, { mode: 0o700 })
    const link = join(dir.path, 'link')
    await symlink(target, link)
    await expect(ensurePrivateDir(link, 'cache directory')).rejects.toThrow(
      refusal(link, 'is a symlink'),
    )

    const file = join(dir.path, 'file')
    await writeFile(file, '')
    await expect(ensurePrivateDir(file, 'cache directory')).rejects.toThrow(
      refusal(file, 'is not a directory'),
    )

    const open = join(dir.path, 'open')
    await mkdir(open)
    await chmod(open, 0o777)
    await expect(ensurePrivateDir(open, 'cache directory')).rejects.toThrow(
      refusal(open, 'is writable by others (mode 777)'),
    )
    await chmod(open, 0o750)
    await expect(ensurePrivateDir(open, 'cache directory')).resolves.toBeUndefined()
  })

  it('passes on an error that is not a missing directory', async () => {
    const file = join(dir.path, 'plain-file')
    await writeFile(file, '')
    await expect(ensurePrivateDir(join(file, 'below'), 'cache directory')).rejects.toMatchObject({
      code: 'ENOTDIR',
    })
  })
})
