// The local-caller token each CONFIG_SIDECAR_AUTH / CONFIG_SIDECAR_TOKEN setting resolves to
// (src/http/local-token.ts): none, an inline token, a token file that exists (used as it is, never
// rewritten), one that does not yet (a new token, written only at publish), one that cannot be
// read or holds a bad token (a SettingsError that hides the value), and a generated token (new at
// each start, 256 bits, published 0600).
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SettingsError } from '@sample/shared'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../../../test-support/files.js'
import { resolveLocalToken } from '../../src/http/local-token.js'

let dir: { path: string; remove: () => Promise<void> }
beforeEach(async () => {
  dir = await tempDir()
})
afterEach(async () => {
  await dir.remove()
})

const GENERATED = /^[A-Za-z0-9_-]{43}$/

const problemOf = async (promise: Promise<unknown>): Promise<string> => {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(SettingsError)
  return (error as SettingsError).problems.join('\n')
}

describe('no token, and an inline token', () => {
  it('has no token when auth is none, and publishes nothing', async () => {
    const local = await resolveLocalToken({ kind: 'none' })
    expect(local.token).toBeUndefined()
    await expect(local.publish()).resolves.toBeUndefined()
  })

  it('uses an inline token as given, and publishes nothing', async () => {
    const local = await resolveLocalToken({ kind: 'inline', token: 'an-inline-token-0123456789' })
    expect(local.token).toBe('an-inline-token-0123456789')
    await local.publish()
  })
})

describe('a token file', () => {
  it('that exists is used trimmed, and never rewritten', async () => {
    const file = join(dir.path, 'token')
    await writeFile(file, '  the-token-from-a-file-0123  \n')
    const local = await resolveLocalToken({ kind: 'file', path: file })
    expect(local.token).toBe('the-token-from-a-file-0123')
    await local.publish()
    expect(await readFile(file, 'utf8')).toBe('  the-token-from-a-file-0123  \n')
  })

  it('that does not exist yet gets a new token, written only when published', async () => {
    const file = join(dir.path, 'token')
    const local = await resolveLocalToken({ kind: 'file', path: file })
    expect(local.token).toMatch(GENERATED)
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' })
    await local.publish()
    expect(await readFile(file, 'utf8')).toBe(`${local.token}\n`)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
  })

  it('that is empty or blank gets a new token too', async () => {
    const file = join(dir.path, 'token')
    await writeFile(file, ' \n')
    const local = await resolveLocalToken({ kind: 'file', path: file })
    expect(local.token).toMatch(GENERATED)
    await local.publish()
    expect(await readFile(file, 'utf8')).toBe(`${local.token}\n`)
  })

  it('that cannot be read is refused, naming the path and the reason', async () => {
    const file = join(dir.path, 'a-directory')
    await mkdir(file)
    const problem = await problemOf(resolveLocalToken({ kind: 'file', path: file }))
    expect(problem).toBe(`CONFIG_SIDECAR_TOKEN names ${file}, which cannot be read (EISDIR)`)
  })

  it('holding a token of the wrong form is refused without quoting it', async () => {
    const file = join(dir.path, 'token')
    for (const bad of ['short-token', 'a token with spaces in it', 'bad!characters#0123456']) {
      await writeFile(file, `${bad}\n`)
      const problem = await problemOf(resolveLocalToken({ kind: 'file', path: file }))
      expect(problem).toContain(`CONFIG_SIDECAR_TOKEN names ${file}, whose token must be`)
      expect(problem).not.toContain(bad)
    }
  })
})

describe('a generated token', () => {
  it('is new at each start, 256 bits of base64url', async () => {
    const auth = {
      kind: 'generated' as const,
      path: join(dir.path, 'run', 'config-sidecar-8082.token'),
      dir: join(dir.path, 'run'),
    }
    const first = await resolveLocalToken(auth)
    const second = await resolveLocalToken(auth)
    expect(first.token).toMatch(GENERATED)
    expect(second.token).toMatch(GENERATED)
    expect(first.token).not.toBe(second.token)
    await second.publish()
    expect(await readFile(auth.path, 'utf8')).toBe(`${second.token}\n`)
    await rm(auth.dir, { recursive: true })
  })

  it('is not published into a directory others may write, and the refusal names the directory', async () => {
    const open = join(dir.path, 'open')
    await mkdir(open)
    await chmod(open, 0o777)
    const local = await resolveLocalToken({
      kind: 'generated',
      path: join(open, 'config-sidecar-8082.token'),
      dir: open,
    })
    await expect(local.publish()).rejects.toThrow(
      `the token directory ${open} is writable by others (mode 777)`,
    )
    await expect(stat(join(open, 'config-sidecar-8082.token'))).rejects.toMatchObject({
      code: 'ENOENT',
    })
  })
})
