// The last-known-good file of one source (src/state/snapshot.ts), on a real temp directory: where
// it is, what a write keeps and a read gives back (validators absent or set, a directory's files),
// the format 1 files of earlier versions, files it refuses (unreadable, not JSON, unknown format)
// or ignores (another source's), and the modification time as the time of the last confirmation.
import { hash } from 'node:crypto'
import { mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createSnapshotStore } from '../../src/state/snapshot.js'
import type { SnapshotStore } from '../../src/state/snapshot.js'
import { SidecarError } from '../../src/support/errors.js'
import { tempDir } from '../../../../test-support/files.js'

const SOURCE = 'https://config.example/app/prod'

let dir: { path: string; remove: () => Promise<void> }
let snapshots: SnapshotStore

beforeEach(async () => {
  dir = await tempDir('config-sidecar-snapshot-')
  snapshots = createSnapshotStore(dir.path, SOURCE)
})

afterEach(async () => {
  vi.useRealTimers()
  await dir.remove()
})

/** Writes `content` (JSON) where the store reads its snapshot. */
const plant = (content: unknown): Promise<void> =>
  writeFile(snapshots.path, JSON.stringify(content))

/** The error `read` rejects with (fails the test when it resolves). */
async function readError(): Promise<unknown> {
  try {
    await snapshots.read()
  } catch (error) {
    return error
  }
  throw new Error('read() resolved')
}

const json = (text: string) => ({
  body: Buffer.from(text, 'utf8'),
  contentType: 'application/json',
})

describe('the snapshot file', () => {
  it('is named for the source by the first 16 hex digits of its SHA-256, in the cache directory', () => {
    const expected = `snapshot-${hash('sha256', SOURCE, 'hex').slice(0, 16)}.json`
    expect(snapshots.path).toBe(join(dir.path, expected))
    expect(createSnapshotStore(dir.path, `${SOURCE}/other`).path).not.toBe(snapshots.path)
  })

  it('reads as nothing before the first write', async () => {
    expect(await snapshots.read()).toBeUndefined()
  })

  it('gives back the documents, validators and version as written', async () => {
    await snapshots.write(
      {
        documents: [
          { body: Buffer.from('{"a":1}'), contentType: 'application/json', file: 'a.json' },
          { body: Buffer.from('b: 2 ü'), contentType: undefined, file: 'b.yaml' },
        ],
      },
      { etag: '"e1"', lastModified: 'Tue, 01 Jan 2030 00:00:00 GMT', contentHash: 'h1' },
      'v7',
    )
    const read = await snapshots.read()
    expect(read?.raw).toStrictEqual({
      documents: [
        { body: Buffer.from('{"a":1}'), contentType: 'application/json', file: 'a.json' },
        { body: Buffer.from('b: 2 ü'), contentType: undefined, file: 'b.yaml' },
      ],
    })
    expect(read?.validators).toStrictEqual({
      etag: '"e1"',
      lastModified: 'Tue, 01 Jan 2030 00:00:00 GMT',
      contentHash: 'h1',
    })
    expect(read?.version).toBe('v7')
  })

  it('writes absent validators, version, type and file as null and reads them back as undefined', async () => {
    await snapshots.write(
      { documents: [{ body: Buffer.from('{}'), contentType: undefined }] },
      {},
      undefined,
    )
    const file = JSON.parse(await readFile(snapshots.path, 'utf8')) as Record<string, unknown>
    expect(file).toMatchObject({
      format: 2,
      source: SOURCE,
      etag: null,
      lastModified: null,
      contentHash: null,
      version: null,
      documents: [{ contentType: null, file: null, body: '{}' }],
    })
    const read = await snapshots.read()
    expect(read?.raw).toStrictEqual({
      documents: [{ body: Buffer.from('{}'), contentType: undefined, file: undefined }],
    })
    expect(read?.validators).toStrictEqual({
      etag: undefined,
      lastModified: undefined,
      contentHash: undefined,
    })
    expect(read?.version).toBeUndefined()
  })

  it('reads a format 1 file (one document), its type or none', async () => {
    const v1 = {
      format: 1,
      source: SOURCE,
      savedAt: '2024-01-01T00:00:00.000Z',
      etag: '"old"',
      lastModified: null,
      contentHash: null,
      version: 'v1',
      contentType: 'application/json',
      body: '{"a":"ü"}',
    }
    await plant(v1)
    const read = await snapshots.read()
    expect(read?.raw).toStrictEqual({ documents: [json('{"a":"ü"}')] })
    expect(read?.validators).toStrictEqual({
      etag: '"old"',
      lastModified: undefined,
      contentHash: undefined,
    })
    expect(read?.version).toBe('v1')
    await plant({ ...v1, contentType: null })
    expect((await snapshots.read())?.raw).toStrictEqual({
      documents: [{ body: Buffer.from('{"a":"ü"}'), contentType: undefined }],
    })
  })

  it("ignores another source's snapshot at its path", async () => {
    await plant({
      format: 2,
      source: 'https://config.example/app/other',
      savedAt: '2024-01-01T00:00:00.000Z',
      etag: null,
      lastModified: null,
      contentHash: null,
      version: null,
      documents: [{ contentType: null, file: null, body: '{}' }],
    })
    expect(await snapshots.read()).toBeUndefined()
  })
})

describe('a snapshot that cannot be used', () => {
  const base = {
    source: SOURCE,
    savedAt: '',
    etag: null,
    lastModified: null,
    contentHash: null,
    version: null,
  }

  it('is ERR_SNAPSHOT_UNREADABLE when the file cannot be read, with the cause', async () => {
    // A directory where the file should be: stat works, reading fails with EISDIR.
    await mkdir(snapshots.path)
    const error = await readError()
    expect(error).toBeInstanceOf(SidecarError)
    expect(error).toMatchObject({
      code: 'ERR_SNAPSHOT_UNREADABLE',
      message: `snapshot ${snapshots.path} cannot be read`,
    })
    expect((error as Error).cause).toMatchObject({ code: 'EISDIR' })
  })

  it('is ERR_SNAPSHOT_UNREADABLE when the file is not JSON', async () => {
    await writeFile(snapshots.path, '{"format": 2,')
    expect(await readError()).toMatchObject({
      code: 'ERR_SNAPSHOT_UNREADABLE',
      message: `snapshot ${snapshots.path} is not JSON`,
    })
  })

  it.each([
    ['an unknown format number', { ...base, format: 3, documents: [{ body: '{}' }] }],
    ['format 1 without a body', { ...base, format: 1, contentType: null }],
    ['format 1 with a body that is not text', { ...base, format: 1, contentType: null, body: 7 }],
    ['format 2 without documents', { ...base, format: 2, body: '{}' }],
    [
      'format 2 with a document that is not text',
      { ...base, format: 2, documents: [{ body: '{}' }, { body: 7 }] },
    ],
    [
      'format 2 with documents that are not text',
      { ...base, format: 2, documents: [{ body: null }] },
    ],
  ])('is ERR_SNAPSHOT_UNREADABLE with an unknown format: %s', async (_, content) => {
    await plant(content)
    const error = await readError()
    expect(error).toBeInstanceOf(SidecarError)
    expect(error).toMatchObject({
      code: 'ERR_SNAPSHOT_UNREADABLE',
      message: `snapshot ${snapshots.path} has an unknown format`,
    })
  })
})

describe('the time the source last confirmed the snapshot', () => {
  const write = () => snapshots.write({ documents: [json('{}')] }, {}, undefined)
  const setMtime = (ms: number) => utimes(snapshots.path, ms / 1000, ms / 1000)

  it('is the modification time', async () => {
    await write()
    const hourAgo = Math.floor(Date.now() / 1000) * 1000 - 3_600_000
    await setMtime(hourAgo)
    expect((await snapshots.read())?.confirmedAt).toBe(hourAgo)
  })

  it('is now for a modification time up to 5 s ahead, and 0 (old) past that', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const now = 1_800_000_000_000
    vi.setSystemTime(now)
    await write()
    await setMtime(now + 1_000)
    expect((await snapshots.read())?.confirmedAt).toBe(now)
    await setMtime(now + 5_000)
    expect((await snapshots.read())?.confirmedAt).toBe(now)
    await setMtime(now + 6_000)
    expect((await snapshots.read())?.confirmedAt).toBe(0)
  })

  it('is moved to now by touch(), which does nothing without a file', async () => {
    await expect(snapshots.touch()).resolves.toBeUndefined()
    await write()
    await setMtime(Date.now() - 3_600_000)
    const before = Date.now()
    await snapshots.touch()
    const { mtimeMs } = await stat(snapshots.path)
    expect(mtimeMs).toBeGreaterThanOrEqual(before - 1_000)
    const confirmedAt = (await snapshots.read())?.confirmedAt
    expect(confirmedAt).toBeGreaterThanOrEqual(before - 1_000)
    expect(confirmedAt).toBeLessThanOrEqual(Date.now())
  })
})
