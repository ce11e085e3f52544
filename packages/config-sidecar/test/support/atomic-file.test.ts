// Atomic writes (src/support/atomic-file.ts): the file is written whole under its final name with
// the mode asked for, and the temp files a killed writer left beside it are removed at the next
// start: this process's own and those of a pid that no longer runs, never a live writer's, and
// nothing that is not such a temp file.
import { spawnSync } from 'node:child_process'
import { readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { modeUnderUmask, tempDir } from '../../../../test-support/files.js'
import { removeStaleTempFiles, writeFileAtomic } from '../../src/support/atomic-file.js'

let dir: { path: string; remove: () => Promise<void> }
beforeAll(async () => {
  dir = await tempDir('atomic-file-')
})
afterAll(() => dir.remove())

/** A pid that ran and has exited (a child that ended), so no process has it now. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
  return Number(child.stdout.toString())
}

describe('writeFileAtomic', () => {
  it('writes the whole content under the name, 0600 by default, a mode when asked, and no temp left', async () => {
    const target = join(dir.path, 'nested', 'config.json')
    await writeFileAtomic(target, 'first é\n')
    expect(await readFile(target, 'utf8')).toBe('first é\n')
    expect((await stat(target)).mode & 0o777).toBe(modeUnderUmask(0o600))
    expect((await stat(join(dir.path, 'nested'))).mode & 0o777).toBe(modeUnderUmask(0o700))

    await writeFileAtomic(target, 'second\n', { mode: 0o644 })
    expect(await readFile(target, 'utf8')).toBe('second\n')
    expect((await stat(target)).mode & 0o777).toBe(modeUnderUmask(0o644))
    expect(await readdir(join(dir.path, 'nested'))).toEqual(['config.json'])
  })

  it('writes bytes as they are (a cut UTF-8 sequence stays cut)', async () => {
    const target = join(dir.path, 'bytes.txt')
    await writeFileAtomic(target, Buffer.from([0x61, 0xe2, 0x82]))
    expect(await readFile(target)).toEqual(Buffer.from([0x61, 0xe2, 0x82]))
  })

  it('leaves no temp file when the rename fails (the name is a directory)', async () => {
    const target = join(dir.path, 'a-directory')
    await writeFileAtomic(join(target, 'inside'), 'x')
    await expect(writeFileAtomic(target, 'y')).rejects.toMatchObject({ code: 'EISDIR' })
    expect(await readdir(dir.path)).not.toContainEqual(expect.stringMatching(/\.tmp$/))
  })
})

describe('removeStaleTempFiles', () => {
  it("removes this process's and a dead pid's temp files, keeps a live writer's and every other file", async () => {
    const work = join(dir.path, 'stale')
    const target = join(work, 'snapshot.json')
    await writeFileAtomic(target, '{}')
    const dead = deadPid()
    const names = {
      own: `snapshot.json.${process.pid}.0a1b2c3d.tmp`,
      dead: `snapshot.json.${dead}.deadbeef.tmp`,
      // pid 1 always runs (init, or the container's first process).
      live: 'snapshot.json.1.cafe0123.tmp',
      otherFile: `other.json.${dead}.deadbeef.tmp`,
      notHex: `snapshot.json.${dead}.xyz.tmp`,
      notTmp: `snapshot.json.${dead}.deadbeef.tmp.bak`,
      prefixed: `old-snapshot.json.${dead}.deadbeef.tmp`,
      noPid: 'snapshot.json.deadbeef.tmp',
    }
    for (const name of Object.values(names)) await writeFile(join(work, name), 'partial')

    expect(await removeStaleTempFiles(target)).toBe(2)
    expect((await readdir(work)).sort()).toEqual(
      [
        'snapshot.json',
        names.live,
        names.otherFile,
        names.notHex,
        names.notTmp,
        names.prefixed,
        names.noPid,
      ].sort(),
    )
    expect(await removeStaleTempFiles(target)).toBe(0)
  })

  it('answers 0 for a directory that does not exist', async () => {
    expect(await removeStaleTempFiles(join(dir.path, 'missing', 'snapshot.json'))).toBe(0)
  })
})
