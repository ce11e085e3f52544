// Loading CONFIG_KEYS on its own: a refusal names where the keys came from (the variable or its
// file), every problem is ERR_SECRET_NO_KEYS, and an unreadable file keeps its cause.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../../../test-support/files.js'
import { errorOf } from '../../../../test-support/sidecar-errors.js'
import { loadKeySet } from '../../src/document/keys.js'
import { SidecarError } from '../../src/support/errors.js'

let dir: { path: string; remove: () => Promise<void> }
beforeEach(async () => {
  dir = await tempDir()
})
afterEach(async () => {
  await dir.remove()
})

describe('loadKeySet', () => {
  it('names CONFIG_KEYS for an inline key set that is not JSON, with no cause', async () => {
    const error = await errorOf(loadKeySet({ kind: 'inline', value: '{not json' }))
    expect(error.code).toBe('ERR_SECRET_NO_KEYS')
    expect(error.message).toMatch(/^CONFIG_KEYS is not JSON/)
    expect(error.cause).toBeUndefined()
  })

  it('names the file for a key file that is not JSON', async () => {
    const path = join(dir.path, 'keys.json')
    await writeFile(path, '{not json')
    const error = await errorOf(loadKeySet({ kind: 'file', path }))
    expect(error.code).toBe('ERR_SECRET_NO_KEYS')
    expect(error.message).toMatch(new RegExp(`^CONFIG_KEYS file ${path} is not JSON`))
    expect(error.cause).toBeUndefined()
  })

  it('refuses a key file that cannot be read as ERR_SECRET_NO_KEYS, keeping the read error as cause', async () => {
    const path = join(dir.path, 'missing.json')
    const error = await errorOf(loadKeySet({ kind: 'file', path }))
    expect(error.code).toBe('ERR_SECRET_NO_KEYS')
    expect(error.message).toBe(`CONFIG_KEYS names ${path}, which cannot be read (ENOENT)`)
    expect(error.cause).toBeInstanceOf(SidecarError)
    expect((error.cause as SidecarError).code).toBe('ERR_SOURCE_UNREADABLE')
  })

  it('has no decryptor and no demo keys without CONFIG_KEYS', async () => {
    expect(await loadKeySet(undefined)).toEqual({ decryptor: undefined, demoKeyIds: [] })
  })
})
