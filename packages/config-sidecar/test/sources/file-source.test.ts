import {
  appendFile,
  mkdir,
  open,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../../../test-support/files.js'
import { startInProcessSidecar } from '../../../../test-support/in-process-sidecar.js'
import type { InProcessSidecar } from '../../../../test-support/in-process-sidecar.js'
import { sleep, waitFor } from '../../../../test-support/wait.js'
import { prepareConfig } from '../../src/document/prepare.js'
import { STILL_MS, createFileSource } from '../../src/sources/file-source.js'
import { SidecarError } from '../../src/support/errors.js'

let dir: { path: string; remove: () => Promise<void> }
let running: InProcessSidecar | undefined

beforeEach(async () => {
  dir = await tempDir()
})
afterEach(async () => {
  await running?.stop()
  running = undefined
  await dir.remove()
})

const configOf = async (sidecar: InProcessSidecar): Promise<unknown> =>
  (await sidecar.get('/config/')).json()

describe('file source', () => {
  it('reads a JSON or YAML file and skips parsing when the content is unchanged', async () => {
    const file = join(dir.path, 'app.yaml')
    await writeFile(file, 'a: 1\n')
    const source = createFileSource(file)
    const first = await source.fetch(undefined, AbortSignal.timeout(1000))
    expect(first.kind).toBe('changed')
    if (first.kind !== 'changed') return
    expect(first.raw.documents.map((part) => part.body.toString())).toEqual(['a: 1\n'])
    const second = await source.fetch(first.validators, AbortSignal.timeout(1000))
    expect(second.kind).toBe('unchanged')
  })

  it('reads the files of a directory in name order, skipping dot files and other extensions', async () => {
    await writeFile(join(dir.path, '10-base.yaml'), 'a: {x: 1, y: 1}\nlist: [1]\n')
    await writeFile(join(dir.path, '20-override.json'), '{"a":{"y":2},"list":[2,3]}')
    await writeFile(join(dir.path, '.hidden.yaml'), 'a: {x: 99}\n')
    await writeFile(join(dir.path, 'notes.txt'), 'not config')
    const result = await createFileSource(dir.path).fetch(undefined, AbortSignal.timeout(1000))
    if (result.kind !== 'changed') throw new Error('expected the files')
    expect(result.raw.documents.map((part) => part.file)).toEqual([
      join(dir.path, '10-base.yaml'),
      join(dir.path, '20-override.json'),
    ])
    // The document stage merges them, later files winning.
    const prepared = await prepareConfig(result.raw, {
      where: 'test',
      decryptor: undefined,
      previous: new Map(),
    })
    expect(prepared.document).toEqual({ a: { x: 1, y: 2 }, list: [2, 3] })
  })

  it('reports a missing file as ERR_SOURCE_NOT_FOUND', async () => {
    await expect(
      createFileSource(join(dir.path, 'nope.json')).fetch(undefined, AbortSignal.timeout(1000)),
    ).rejects.toSatisfy(
      (error) => error instanceof SidecarError && error.code === 'ERR_SOURCE_NOT_FOUND',
    )
  })
})

describe('a sidecar watching a file', () => {
  it('refuses a file that changes while it is read', async () => {
    const file = join(dir.path, 'app.json')
    const old = new Date(Date.now() - 10_000)
    // Writers let in around the read: each change is seen by one of the checks after it.
    const writers: Record<string, (path: string) => Promise<Buffer>> = {
      'appends after the read': async (path) => {
        const body = await readFile(path)
        await appendFile(path, '\n')
        return body
      },
      'rewrites the same size after the read': async (path) => {
        const body = await readFile(path)
        await writeFile(path, '{"a":2}')
        const later = new Date(Date.now() - 5_000)
        await utimes(path, later, later)
        return body
      },
      'grows before the read and keeps the mtime': async (path) => {
        await appendFile(path, '\n')
        await utimes(path, old, old)
        return readFile(path)
      },
    }
    for (const [name, readFileWithWriter] of Object.entries(writers)) {
      await writeFile(file, '{"a":1}')
      await utimes(file, old, old)
      const source = createFileSource(file, { readFile: readFileWithWriter })
      await expect(source.fetch(undefined, AbortSignal.timeout(5000)), name).rejects.toMatchObject({
        code: 'ERR_SOURCE_UNREADABLE',
        message: expect.stringMatching(/changed while it was read/),
      })
    }
  })

  it('reads a file only once it has been still for the window', async () => {
    const file = join(dir.path, 'app.json')
    let readAt = 0
    const source = createFileSource(file, {
      readFile: (path) => {
        readAt = Date.now()
        return readFile(path)
      },
    })
    await writeFile(file, '{"a":1}')
    const writtenAt = (await stat(file)).mtimeMs
    const result = await source.fetch(undefined, AbortSignal.timeout(5000))
    expect(result.kind).toBe('changed')
    expect(readAt - writtenAt).toBeGreaterThanOrEqual(STILL_MS - 5)
  })

  it('serves an edit within a second', async () => {
    const file = join(dir.path, 'app.json')
    await writeFile(file, '{"color":"blue"}')
    running = await startInProcessSidecar({ CONFIG_SOURCE: `file:${file}` })
    await running.firstRefresh
    expect(await configOf(running)).toEqual({ color: 'blue' })

    const edited = Date.now()
    await writeFile(file, '{"color":"green"}')
    await waitFor(
      async () => ((await configOf(running!)) as { color: string }).color === 'green' || undefined,
      { timeoutMs: 1000, what: 'the edit' },
    )
    expect(Date.now() - edited).toBeLessThan(1000)
  })

  it('keeps the good config when the file becomes invalid, marks it stale, and recovers', async () => {
    const file = join(dir.path, 'app.json')
    await writeFile(file, '{"n":1}')
    running = await startInProcessSidecar({ CONFIG_SOURCE: `file:${file}` })
    await running.firstRefresh

    await writeFile(file, '{"n":2, "half')
    await waitFor(
      async () =>
        (await running!.get('/config/')).headers.get('x-config-stale') === 'true'
          ? true
          : undefined,
      { what: 'stale' },
    )
    expect(await configOf(running)).toEqual({ n: 1 })
    const status = (await (await running.get('/status')).json()) as { lastError: { code: string } }
    expect(status.lastError.code).toBe('ERR_DOCUMENT_INVALID')

    await writeFile(file, '{"n":3}')
    await waitFor(async () => ((await configOf(running!)) as { n: number }).n === 3 || undefined, {
      what: 'recovery',
    })
    expect((await running.get('/config/')).headers.get('x-config-stale')).toBe('false')
  })

  it('never serves a half-written file that happens to parse', async () => {
    const file = join(dir.path, 'app.yaml')
    const full = `${Array.from({ length: 2000 }, (_, i) => `key${i}: value${i}`).join('\n')}\n`
    await writeFile(file, full)
    running = await startInProcessSidecar({ CONFIG_SOURCE: `file:${file}` })
    await running.firstRefresh
    const seen = new Set<number>()
    const stopAt = Date.now() + 1500
    // A slow writer: the file grows in chunks, each prefix being valid YAML.
    const writer = (async () => {
      const next = full.replace(/value/g, 'other')
      const { open } = await import('node:fs/promises')
      const handle = await open(file, 'w')
      for (let offset = 0; offset < next.length; offset += 4096) {
        await handle.write(next.slice(offset, offset + 4096))
        await new Promise((resolve) => setTimeout(resolve, 15))
      }
      await handle.close()
    })()
    while (Date.now() < stopAt) {
      const doc = (await configOf(running)) as Record<string, string>
      seen.add(Object.keys(doc).length)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await writer
    expect([...seen]).toEqual([2000])
    await waitFor(
      async () =>
        ((await configOf(running!)) as Record<string, string>)['key0'] === 'other0' || undefined,
      { what: 'the finished write' },
    )
  })

  it('never serves a file rewritten in place in two halves 30 ms apart (a torn write)', async () => {
    // As scp or any in-place writer over a slow link: truncate, write half, pause, write the rest.
    // A prefix of a YAML mapping cut at a line is valid YAML, so only waiting for the file to be
    // still keeps the half from being served. Polls every 100 ms too, so both paths are tried.
    const file = join(dir.path, 'app.yaml')
    const KEYS = 20_000
    const render = (round: number): string =>
      `${Array.from({ length: KEYS }, (_, i) => `key${i}: r${round}-${i}`).join('\n')}\n`
    await writeFile(file, render(0))
    running = await startInProcessSidecar({
      CONFIG_SOURCE: `file:${file}`,
      CONFIG_POLL_INTERVAL: '100ms',
    })
    await running.firstRefresh
    const sizes: number[] = []
    running.sidecar.store.subscribe((state) => sizes.push(Object.keys(state.document).length))
    const ROUNDS = 12
    for (let round = 1; round <= ROUNDS; round += 1) {
      const text = render(round)
      const half = text.lastIndexOf('\n', text.length / 2) + 1
      const handle = await open(file, 'w')
      await handle.write(text.slice(0, half))
      await sleep(30)
      await handle.write(text.slice(half))
      await handle.close()
      await sleep(150)
    }
    await waitFor(
      async () =>
        ((await configOf(running!)) as Record<string, string>)['key0'] === `r${ROUNDS}-0` ||
        undefined,
      { what: 'the last round', timeoutMs: 3000 },
    )
    expect(sizes.length).toBeGreaterThan(0)
    expect(sizes.filter((size) => size !== KEYS)).toEqual([])
  }, 30_000)

  it('follows a Kubernetes ConfigMap volume, which swaps a ..data symlink', async () => {
    // The kubelet's layout: ..2025_1/app.yaml, ..data -> ..2025_1, app.yaml -> ..data/app.yaml
    await mkdir(join(dir.path, '..2025_1'))
    await writeFile(join(dir.path, '..2025_1', 'app.yaml'), 'mode: one\n')
    await symlink('..2025_1', join(dir.path, '..data'))
    await symlink('..data/app.yaml', join(dir.path, 'app.yaml'))
    running = await startInProcessSidecar({ CONFIG_SOURCE: `file:${join(dir.path, 'app.yaml')}` })
    await running.firstRefresh
    expect(await configOf(running)).toEqual({ mode: 'one' })

    await mkdir(join(dir.path, '..2025_2'))
    await writeFile(join(dir.path, '..2025_2', 'app.yaml'), 'mode: two\n')
    await symlink('..2025_2', join(dir.path, '..data_tmp'))
    await rename(join(dir.path, '..data_tmp'), join(dir.path, '..data'))
    await rm(join(dir.path, '..2025_1'), { recursive: true })
    await waitFor(
      async () => ((await configOf(running!)) as { mode: string }).mode === 'two' || undefined,
      { timeoutMs: 1000, what: 'the swap' },
    )
  })

  it('serves a file created after the start', async () => {
    const file = join(dir.path, 'late.json')
    running = await startInProcessSidecar({ CONFIG_SOURCE: `file:${file}` })
    expect((await running.firstRefresh).outcome).toBe('failed')
    expect((await running.get('/config/')).status).toBe(503)
    await writeFile(file, '{"late":true}')
    await waitFor(
      async () => ((await running!.get('/config/')).status === 200 ? true : undefined),
      { timeoutMs: 2000, what: 'the new file' },
    )
  })
})
