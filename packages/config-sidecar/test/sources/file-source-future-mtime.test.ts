// The still window for a file dated in the future (a clock ahead of ours, a copied mtime): its age
// says nothing, so it is read only once a whole window passes with neither its mtime nor its size
// changing. A writer that keeps changing one of the two is refused as still being written.
import { appendFile, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../../../test-support/files.js'
import { errorOf } from '../../../../test-support/sidecar-errors.js'
import { createFileSource } from '../../src/sources/file-source.js'

let dir: { path: string; remove: () => Promise<void> }

beforeEach(async () => {
  dir = await tempDir()
})
afterEach(async () => {
  await dir.remove()
})

/** Runs `step` every 40 ms until the returned stop is called. */
function keepWriting(step: (n: number) => Promise<void>): () => Promise<void> {
  let writing = true
  const done = (async () => {
    for (let n = 1; writing; n += 1) {
      await step(n)
      await new Promise((resolve) => setTimeout(resolve, 40))
    }
  })()
  return async () => {
    writing = false
    await done
  }
}

describe('file source: a file dated in the future', () => {
  it('refuses it while its mtime keeps moving (same size) or its size keeps growing (same mtime)', async () => {
    const future = Date.now() + 600_000
    const sameSize = join(dir.path, 'same-size.json')
    const growing = join(dir.path, 'growing.json')
    await writeFile(sameSize, '{"a":0}')
    await writeFile(growing, '{"a":0}')
    const stops = [
      keepWriting(async (n) => {
        const at = new Date(future + n * 1000)
        await utimes(sameSize, at, at)
      }),
      keepWriting(async () => {
        await appendFile(growing, ' ')
        const at = new Date(future)
        await utimes(growing, at, at)
      }),
    ]
    try {
      const [moving, grown] = await Promise.all(
        [sameSize, growing].map((file) =>
          errorOf(createFileSource(file).fetch(undefined, AbortSignal.timeout(20_000))),
        ),
      )
      // 20 windows, each watched in full (an mtime in the future has no age to count from).
      const still = (file: string) =>
        new RegExp(
          `^file:${file} is still being written \\(it kept changing for ([5-9]|\\d\\d)\\.\\d s\\)$`,
        )
      expect(moving!.message).toMatch(still(sameSize))
      expect(grown!.message).toMatch(still(growing))
      expect([moving!.code, grown!.code]).toEqual([
        'ERR_SOURCE_UNREADABLE',
        'ERR_SOURCE_UNREADABLE',
      ])
    } finally {
      for (const stop of stops) await stop()
    }
  }, 15_000)
})
