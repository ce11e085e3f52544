// The local-caller token on disk: made in the user's private directory (0700, owner and mode
// checked, no symlink followed), written only once the listener is bound, and a token read from a
// file held to the same rules as an inline one.
import { chmod, chown, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { SettingsError, silentLogger } from '@sample/shared'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../../../test-support/files.js'
import { resolveLocalToken } from '../../src/http/local-token.js'
import { loadSettings } from '../../src/settings/settings.js'
import { createSidecar } from '../../src/sidecar.js'
import { ensurePrivateDir } from '../../src/support/private-dir.js'

let dir: { path: string; remove: () => Promise<void> }
beforeEach(async () => {
  dir = await tempDir()
})
afterEach(async () => {
  await dir.remove()
})

describe('the generated token', () => {
  it('is written in the private directory, made 0700, only once the listener is bound', async () => {
    const runtime = join(dir.path, 'runtime')
    const local = await resolveLocalToken({
      kind: 'generated',
      path: join(runtime, 'config-sidecar-8082.token'),
      dir: runtime,
    })
    await expect(stat(runtime)).rejects.toMatchObject({ code: 'ENOENT' })
    await local.publish()
    expect((await stat(runtime)).mode & 0o777).toBe(0o700)
    const file = join(runtime, 'config-sidecar-8082.token')
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect((await readFile(file, 'utf8')).trim()).toBe(local.token)
  })

  it('is not replaced by a second sidecar that cannot bind its port', async () => {
    const config = join(dir.path, 'config.json')
    await writeFile(config, '{"a":1}')
    const busy = createServer()
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
    const port = (busy.address() as AddressInfo).port
    try {
      const env = {
        CONFIG_SOURCE: `file:${config}`,
        CONFIG_SERVER_PORT: String(port),
        XDG_RUNTIME_DIR: dir.path,
        CONFIG_CACHE_DIR: join(dir.path, 'cache'),
      }
      const tokenFile = join(dir.path, `config-sidecar-${port}.token`)
      await writeFile(tokenFile, 'the-running-pairs-token-0123456789\n', { mode: 0o600 })
      const { settings } = loadSettings(env, { tmpDir: dir.path, cwd: dir.path })
      const second = await createSidecar(settings, { logger: silentLogger })
      await expect(second.start()).rejects.toMatchObject({ code: 'EADDRINUSE' })
      await second.stop()
      expect(await readFile(tokenFile, 'utf8')).toBe('the-running-pairs-token-0123456789\n')
    } finally {
      await new Promise((resolve) => busy.close(resolve))
    }
  })
})

describe('the private directory', () => {
  it('is refused when it is a symlink, writable by others, or owned by another user', async () => {
    const real = join(dir.path, 'real')
    await mkdir(real, { mode: 0o700 })
    const link = join(dir.path, 'link')
    await symlink(real, link)
    await expect(ensurePrivateDir(link, 'the token directory')).rejects.toThrow(/is a symlink/)

    const open = join(dir.path, 'open')
    await mkdir(open)
    await chmod(open, 0o777)
    await expect(ensurePrivateDir(open, 'the token directory')).rejects.toThrow(
      /writable by others \(mode 777\)/,
    )

    await expect(ensurePrivateDir(real, 'the token directory')).resolves.toBeUndefined()
  })

  it.runIf(process.getuid?.() === 0)('is refused when another user made it first', async () => {
    const planted = join(dir.path, 'planted')
    await mkdir(planted, { mode: 0o700 })
    await chown(planted, 65534, 65534)
    await expect(ensurePrivateDir(planted, 'the token directory')).rejects.toThrow(
      /owned by another user \(uid 65534\)/,
    )
  })
})

describe('a token from a file', () => {
  it('meets the same minimum as an inline token', async () => {
    const file = join(dir.path, 'token')
    await writeFile(file, 'x\n')
    const error = await resolveLocalToken({ kind: 'file', path: file }).catch(
      (thrown: unknown) => thrown,
    )
    expect(error).toBeInstanceOf(SettingsError)
    expect((error as SettingsError).problems[0]).toMatch(
      /whose token must be at least 16 characters .* \(value hidden\)/,
    )
    expect((error as SettingsError).problems[0]).not.toContain('x\n')
    await writeFile(file, 'a-token-that-is-long-enough\n')
    expect((await resolveLocalToken({ kind: 'file', path: file })).token).toBe(
      'a-token-that-is-long-enough',
    )
  })
})
