// A directory's merge order is the file source's own (JavaScript string order of the names), not
// whatever order the platform lists the directory in: libuv lists it in byte (UTF-8) order, which
// differs from it for names mixing characters above U+FFFF with ones from U+E000 to U+FFFF.
import { utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../../../test-support/files.js'
import { createFileSource } from '../../src/sources/file-source.js'

let dir: { path: string; remove: () => Promise<void> }

beforeEach(async () => {
  dir = await tempDir()
})
afterEach(async () => {
  await dir.remove()
})

describe('file source: directory order', () => {
  it('merges in JavaScript string order of the names, whatever the listing order', async () => {
    const fullwidth = '\uFF21.json' // U+FF21: UTF-8 EF BC A1, UTF-16 FF21
    const astral = '\u{1F600}.json' // U+1F600: UTF-8 F0 9F 98 80, UTF-16 D83D DE00
    const old = new Date(Date.now() - 10_000)
    for (const name of [fullwidth, astral]) {
      await writeFile(join(dir.path, name), '{}')
      await utimes(join(dir.path, name), old, old)
    }
    const result = await createFileSource(dir.path).fetch(undefined, AbortSignal.timeout(5000))
    if (result.kind !== 'changed') throw new Error('expected the files')
    expect(result.raw.documents.map((document) => document.file)).toEqual([
      join(dir.path, astral),
      join(dir.path, fullwidth),
    ])
  })
})
