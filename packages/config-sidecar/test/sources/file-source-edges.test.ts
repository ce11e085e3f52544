// The file source's edges, against real files: what it names itself, every refusal a user sees
// (missing, unreadable, empty directory, over the size limit, changed or failing while read, still
// being written), the content hash that decides "unchanged", and the still-window timing.
import { spawn } from 'node:child_process'
import { mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../../../test-support/files.js'
import { errorOf } from '../../../../test-support/sidecar-errors.js'
import { waitFor } from '../../../../test-support/wait.js'
import { STILL_MS, createFileSource } from '../../src/sources/file-source.js'
import type { FetchResult } from '../../src/sources/source.js'
import { DOCUMENT_LIMITS } from '../../src/support/limits.js'

const MAX = DOCUMENT_LIMITS.maxBytes

let dir: { path: string; remove: () => Promise<void> }

beforeEach(async () => {
  dir = await tempDir()
})
afterEach(async () => {
  await dir.remove()
})

/** Writes a file and dates it 10 s back, so it is read without waiting for the still window. */
async function writeOld(path: string, content: string | Buffer): Promise<void> {
  await writeFile(path, content)
  const old = new Date(Date.now() - 10_000)
  await utimes(path, old, old)
}

const fetchOnce = (path: string, validators?: FetchResult['validators']): Promise<FetchResult> =>
  createFileSource(path).fetch(validators, AbortSignal.timeout(10_000))

function changed(result: FetchResult): Extract<FetchResult, { kind: 'changed' }> {
  if (result.kind !== 'changed') throw new Error(`expected changed, got ${result.kind}`)
  return result
}

describe('file source: identity and content hash', () => {
  it('names itself file:<path> and is of kind file', () => {
    const source = createFileSource('/etc/config/app.yaml')
    expect(source.display).toBe('file:/etc/config/app.yaml')
    expect(source.kind).toBe('file')
  })

  it('gives a single file as one document with its path and no content type', async () => {
    const file = join(dir.path, 'app.yaml')
    await writeOld(file, 'a: 1\n')
    const result = changed(await fetchOnce(file))
    expect(result.raw.documents).toEqual([
      { body: Buffer.from('a: 1\n'), contentType: undefined, file },
    ])
  })

  it('validates by a SHA-256 content hash, base64url', async () => {
    const file = join(dir.path, 'app.yaml')
    await writeOld(file, 'a: 1\n')
    const { validators } = changed(await fetchOnce(file))
    expect(Object.keys(validators)).toEqual(['contentHash'])
    expect(validators.contentHash).toMatch(/^[A-Za-z0-9_-]{43}$/)
    // The hash changes with the content, and the same content gives the same hash.
    await writeOld(file, 'a: 2\n')
    const second = changed(await fetchOnce(file, validators))
    expect(second.validators.contentHash).not.toBe(validators.contentHash)
    expect(await fetchOnce(file, second.validators)).toEqual({
      kind: 'unchanged',
      validators: second.validators,
    })
  })

  it('takes a renamed file in a directory as a change, even with the same bytes', async () => {
    await writeOld(join(dir.path, 'a.yaml'), 'a: 1\n')
    const first = changed(await fetchOnce(dir.path))
    await rm(join(dir.path, 'a.yaml'))
    await writeOld(join(dir.path, 'b.yaml'), 'a: 1\n')
    const second = changed(await fetchOnce(dir.path, first.validators))
    expect(second.raw.documents.map((document) => document.file)).toEqual([
      join(dir.path, 'b.yaml'),
    ])
  })

  it('takes bytes moved from one file to the next file name as a change', async () => {
    // a.json "1x" + b.json "2" and a.json "1" + xb.json "2" run together the same way.
    await writeOld(join(dir.path, 'a.json'), '1x')
    await writeOld(join(dir.path, 'b.json'), '2')
    const first = changed(await fetchOnce(dir.path))
    await rm(join(dir.path, 'b.json'))
    await writeOld(join(dir.path, 'a.json'), '1')
    await writeOld(join(dir.path, 'xb.json'), '2')
    const second = changed(await fetchOnce(dir.path, first.validators))
    expect(second.raw.documents.map((document) => document.body.toString())).toEqual(['1', '2'])
  })

  it('reads a directory in name order, whatever order the files were written in', async () => {
    const names = ['c.json', 'a.yaml', 'e.yml', 'b.json', 'd.YAML', '10.json', '02.json']
    for (const name of names) await writeOld(join(dir.path, name), '{}')
    const result = changed(await fetchOnce(dir.path))
    expect(result.raw.documents.map((document) => document.file)).toEqual(
      ['02.json', '10.json', 'a.yaml', 'b.json', 'c.json', 'd.YAML', 'e.yml'].map((name) =>
        join(dir.path, name),
      ),
    )
  })
})

describe('file source: refusals', () => {
  it('says a missing path does not exist (ERR_SOURCE_NOT_FOUND)', async () => {
    const file = join(dir.path, 'nope.json')
    const error = await errorOf(fetchOnce(file))
    expect(error.code).toBe('ERR_SOURCE_NOT_FOUND')
    expect(error.message).toBe(`file:${file} does not exist`)
  })

  it('says a path it cannot stat cannot be read, with the system code (ERR_SOURCE_UNREADABLE)', async () => {
    await writeOld(join(dir.path, 'app.json'), '{}')
    const path = join(dir.path, 'app.json', 'inside.json')
    const error = await errorOf(fetchOnce(path))
    expect(error.code).toBe('ERR_SOURCE_UNREADABLE')
    expect(error.message).toBe(`file:${path} cannot be read (ENOTDIR)`)
  })

  it('refuses a directory with no config file in it (ERR_SOURCE_NOT_FOUND)', async () => {
    await writeOld(join(dir.path, 'notes.txt'), 'a: 1')
    await writeOld(join(dir.path, '.hidden.yaml'), 'a: 1')
    const error = await errorOf(fetchOnce(dir.path))
    expect(error.code).toBe('ERR_SOURCE_NOT_FOUND')
    expect(error.message).toBe(`file:${dir.path} holds no .json, .yaml or .yml file`)
  })

  it('reads a file of exactly the size limit, and refuses one byte more', async () => {
    const file = join(dir.path, 'app.json')
    await writeOld(file, Buffer.alloc(MAX, 0x20))
    expect(changed(await fetchOnce(file)).raw.documents[0]!.body.length).toBe(MAX)
    await writeOld(file, Buffer.alloc(MAX + 1, 0x20))
    const error = await errorOf(fetchOnce(file))
    expect(error.code).toBe('ERR_DOCUMENT_TOO_LARGE')
    expect(error.message).toBe(`file:${file} is ${MAX + 1} bytes, over the limit of ${MAX}`)
  })

  it('reads a directory whose files add up to exactly the limit, and refuses one byte more', async () => {
    const half = MAX / 2
    await writeOld(join(dir.path, 'a.json'), Buffer.alloc(half, 0x20))
    await writeOld(join(dir.path, 'b.json'), Buffer.alloc(half, 0x20))
    expect(changed(await fetchOnce(dir.path)).raw.documents).toHaveLength(2)
    await writeOld(join(dir.path, 'b.json'), Buffer.alloc(half + 1, 0x20))
    const error = await errorOf(fetchOnce(dir.path))
    expect(error.code).toBe('ERR_DOCUMENT_TOO_LARGE')
    expect(error.message).toBe(`file:${dir.path} is over the limit of ${MAX} bytes`)
  })

  it('refuses a read that gives fewer bytes than the file holds', async () => {
    const file = join(dir.path, 'app.json')
    await writeOld(file, '{"a":1}')
    const source = createFileSource(file, {
      readFile: async (path) => (await readFile(path)).subarray(0, 3),
    })
    const error = await errorOf(source.fetch(undefined, AbortSignal.timeout(5000)))
    expect(error.code).toBe('ERR_SOURCE_UNREADABLE')
    expect(error.message).toBe(`file:${file} changed while it was read`)
  })

  it('says a file removed before it is read was not found', async () => {
    const file = join(dir.path, 'app.json')
    await writeOld(file, '{"a":1}')
    const source = createFileSource(file, {
      readFile: async (path) => {
        await rm(path)
        return readFile(path)
      },
    })
    const error = await errorOf(source.fetch(undefined, AbortSignal.timeout(5000)))
    expect(error.code).toBe('ERR_SOURCE_NOT_FOUND')
    expect(error.message).toBe(`file:${file} cannot be read (ENOENT)`)
  })

  it('says a file that turned into a directory before it is read cannot be read', async () => {
    const file = join(dir.path, 'app.json')
    await writeOld(file, '{"a":1}')
    const source = createFileSource(file, {
      readFile: async (path) => {
        await rm(path)
        await mkdir(path)
        return readFile(path)
      },
    })
    const error = await errorOf(source.fetch(undefined, AbortSignal.timeout(5000)))
    expect(error.code).toBe('ERR_SOURCE_UNREADABLE')
    expect(error.message).toBe(`file:${file} cannot be read (EISDIR)`)
  })

  it('says "error" for a read failure without a system code', async () => {
    const file = join(dir.path, 'app.json')
    await writeOld(file, '{"a":1}')
    const source = createFileSource(file, {
      readFile: () => Promise.reject(new Error('reader failed')),
    })
    const error = await errorOf(source.fetch(undefined, AbortSignal.timeout(5000)))
    expect(error.code).toBe('ERR_SOURCE_UNREADABLE')
    expect(error.message).toBe(`file:${file} cannot be read (error)`)
  })
})

describe('file source: the still window', () => {
  it('reads a file written a moment ago once it has been still for the window, not later', async () => {
    const file = join(dir.path, 'app.json')
    await writeFile(file, '{"a":1}')
    const age = STILL_MS - 20
    const writtenAt = new Date(Date.now() - age)
    await utimes(file, writtenAt, writtenAt)
    let readAt = 0
    const source = createFileSource(file, {
      readFile: (path) => {
        readAt = Date.now()
        return readFile(path)
      },
    })
    await source.fetch(undefined, AbortSignal.timeout(5000))
    const mtime = (await stat(file)).mtimeMs
    // Read once the mtime is STILL_MS old: about 20 ms from now, not a whole window later.
    expect(readAt - mtime).toBeGreaterThanOrEqual(STILL_MS - 5)
    expect(readAt - mtime).toBeLessThan(STILL_MS + 150)
  })

  it('reads a file dated in the future once it has stayed the same for the window', async () => {
    const file = join(dir.path, 'app.json')
    await writeFile(file, '{"a":1}')
    const future = new Date(Date.now() + 60_000)
    await utimes(file, future, future)
    const started = Date.now()
    const result = await createFileSource(file).fetch(undefined, AbortSignal.timeout(10_000))
    const took = Date.now() - started
    expect(changed(result).raw.documents[0]!.body.toString()).toBe('{"a":1}')
    expect(took).toBeGreaterThanOrEqual(STILL_MS - 5)
    expect(took).toBeLessThan(3 * STILL_MS)
  })

  it('refuses a file rewritten (same size) for longer than 20 windows: still being written', async () => {
    const file = join(dir.path, 'app.json')
    await writeFile(file, '{"a":1}')
    // The writer is a process of its own, rewriting every 10 ms: a busy test process (a slow
    // event loop) cannot leave the file still for a window between two writes. It prints each gap
    // of 100 ms or more between its writes (when it ended, how long), so that a writer held back by
    // the machine (a window without a write, when reading the file is right) is told from a source
    // that read too early.
    const writer = spawn(
      process.execPath,
      [
        '-e',
        `const { writeFileSync } = require('node:fs')
         const pause = new Int32Array(new SharedArrayBuffer(4))
         let last = Date.now()
         for (let n = 0; ; n = (n + 1) % 10) {
           writeFileSync(process.argv[1], '{"a":' + n + '}')
           const now = Date.now()
           if (now - last >= 100) process.stdout.write(now + ' ' + (now - last) + '\\n')
           last = now
           Atomics.wait(pause, 0, 0, 10)
         }`,
        file,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    )
    const gaps: { endedAt: number; ms: number }[] = []
    writer.stdout.setEncoding('utf8')
    writer.stdout.on('data', (text: string) => {
      for (const line of text.split('\n')) {
        const [endedAt, ms] = line.split(' ').map(Number)
        if (endedAt !== undefined && ms !== undefined) gaps.push({ endedAt, ms })
      }
    })
    const exited = new Promise((resolve) => writer.once('exit', resolve))
    try {
      // Under load the writer may take a while to start: go on once it is rewriting.
      const before = (await stat(file)).mtimeMs
      await waitFor(async () => ((await stat(file)).mtimeMs !== before ? true : undefined), {
        timeoutMs: 10_000,
        everyMs: 5,
        what: 'the writer rewriting the file',
      })
      for (let attempt = 1; ; attempt += 1) {
        const started = Date.now()
        const fetching = createFileSource(file).fetch(undefined, AbortSignal.timeout(20_000))
        const outcome = await fetching.then(
          () => 'read',
          () => 'refused',
        )
        if (outcome === 'read') {
          // Read as still: right only if the writer went a window without writing meanwhile.
          await waitFor(
            () => gaps.find((gap) => gap.endedAt >= started && gap.ms >= STILL_MS - 20),
            {
              timeoutMs: 2000,
              what: 'a window the writer did not write in (else: read too early)',
            },
          )
          if (attempt === 3) throw new Error('the machine held the writer back three times')
          continue
        }
        const error = await errorOf(fetching)
        expect(error.code).toBe('ERR_SOURCE_UNREADABLE')
        const elapsed = Date.now() - started
        // 20 waits of a window less the file's age (under 50 ms here): it is not refused early, and
        // the message says how long it waited.
        expect(elapsed).toBeGreaterThanOrEqual(20 * (STILL_MS - 50))
        const said = /^file:(.+) is still being written \(it kept changing for (\d+\.\d) s\)$/.exec(
          error.message,
        )
        expect(said?.[1]).toBe(file)
        expect(Number(said?.[2]) * 1000).toBeGreaterThanOrEqual(20 * (STILL_MS - 50) - 50)
        expect(Number(said?.[2]) * 1000).toBeLessThanOrEqual(elapsed + 50)
        break
      }
    } finally {
      writer.kill('SIGKILL')
      await exited
    }
  }, 40_000)
})
