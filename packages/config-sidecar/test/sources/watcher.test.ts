// The watcher on its own, against real files: which events wake the reader (the file itself, a
// directory's config files, Kubernetes' `..` entries) and which do not (siblings, dot files), and
// that nothing fires after it is stopped.
import { writeFileSync } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../../../test-support/files.js'
import { sleep, waitFor } from '../../../../test-support/wait.js'
import { watchConfigPath } from '../../src/sources/watcher.js'

/** Longer than chokidar's write-finish wait (60 ms) plus the settle window (30 ms), with margin. */
const QUIET_MS = 400

let dir: { path: string; remove: () => Promise<void> }
let stops: (() => Promise<void>)[] = []

beforeEach(async () => {
  dir = await tempDir()
})
afterEach(async () => {
  for (const stop of stops) await stop()
  stops = []
  await dir.remove()
})

/** Watches `target`, counting onChange calls and keeping the errors. */
async function watch(target: string): Promise<{ changes: () => number; errors: unknown[] }> {
  let changes = 0
  const errors: unknown[] = []
  const stop = await watchConfigPath(
    target,
    () => (changes += 1),
    (error) => errors.push(error),
  )
  stops.push(stop)
  return { changes: () => changes, errors }
}

const changed = (watched: { changes: () => number }, atLeast = 1): Promise<true> =>
  waitFor(() => (watched.changes() >= atLeast ? true : undefined), {
    timeoutMs: 3000,
    what: `${atLeast} change(s)`,
  })

describe('watching a file', () => {
  it('ignores other files in its directory, and fires for the file itself', async () => {
    const file = join(dir.path, 'app.yaml')
    await writeFile(file, 'a: 1\n')
    const watched = await watch(file)
    await writeFile(join(dir.path, 'other.yaml'), 'b: 1\n')
    await writeFile(join(dir.path, '.app.yaml.swp'), 'x')
    await sleep(QUIET_MS)
    expect(watched.changes()).toBe(0)
    await writeFile(file, 'a: 2\n')
    await changed(watched)
    expect(watched.errors).toEqual([])
  })

  it('fires for a Kubernetes `..` entry next to it (a ConfigMap swapping ..data)', async () => {
    const file = join(dir.path, 'app.yaml')
    await writeFile(file, 'a: 1\n')
    const watched = await watch(file)
    await mkdir(join(dir.path, '..2026_11_29_12_00_00.000000001'))
    await changed(watched)
  })

  it('coalesces a burst of writes into one change', async () => {
    const file = join(dir.path, 'app.yaml')
    await writeFile(file, 'a: 1\n')
    const watched = await watch(file)
    // One burst: written without a turn of the event loop between the writes, as a writer faster
    // than the watcher's settle time would. (Awaited writes on a loaded machine could be further
    // apart than that, and then they are rightly two changes.)
    writeFileSync(file, 'a: 2\n')
    writeFileSync(file, 'a: 3\n')
    writeFileSync(file, 'a: 4\n')
    await changed(watched)
    await sleep(QUIET_MS)
    expect(watched.changes()).toBe(1)
  })

  it('fires for a file created after the start', async () => {
    const file = join(dir.path, 'later.json')
    const watched = await watch(file)
    await writeFile(file, '{}')
    await changed(watched)
  })

  it('fires nothing once stopped, even for a write just before the stop', async () => {
    const file = join(dir.path, 'app.yaml')
    await writeFile(file, 'a: 1\n')
    let changes = 0
    const stop = await watchConfigPath(
      file,
      () => (changes += 1),
      () => undefined,
    )
    await writeFile(file, 'a: 2\n')
    await sleep(20) // the write is seen, and its event still pending
    await stop()
    await writeFile(file, 'a: 3\n')
    await sleep(QUIET_MS)
    expect(changes).toBe(0)
  })
})

describe('watching a directory', () => {
  it('fires for a config file written in it', async () => {
    const watched = await watch(dir.path)
    await writeFile(join(dir.path, 'app.yaml'), 'a: 1\n')
    await changed(watched)
  })

  it('ignores dot files, and fires for a Kubernetes `..data` entry', async () => {
    const watched = await watch(dir.path)
    await writeFile(join(dir.path, '.hidden.yaml'), 'a: 1\n')
    await mkdir(join(dir.path, '.git'))
    await sleep(QUIET_MS)
    expect(watched.changes()).toBe(0)
    await mkdir(join(dir.path, '..data'))
    await changed(watched)
  })

  it('fires when the watched directory is removed with its files', async () => {
    const target = join(dir.path, 'config')
    await mkdir(target)
    await writeFile(join(target, 'app.yaml'), 'a: 1\n')
    const watched = await watch(target)
    await rm(target, { recursive: true })
    await changed(watched)
  })
})
