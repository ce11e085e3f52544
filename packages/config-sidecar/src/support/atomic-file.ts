import { randomBytes } from 'node:crypto'
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/**
 * Writes a file so that readers see the old or the new content whole: temp, fsync, rename, dir fsync.
 * The file is made with `mode` (0600 unless asked otherwise, less the umask), never an old file's.
 * A string is written as UTF-8, bytes as they are.
 */
export async function writeFileAtomic(
  path: string,
  content: string | Uint8Array,
  options: { mode?: number } = {},
): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const handle = await open(temp, 'wx', options.mode ?? 0o600)
  try {
    await handle.writeFile(content, 'utf8')
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await rename(temp, path)
  } catch (error) {
    await unlink(temp).catch(() => undefined)
    throw error
  }
  const dir = await open(dirname(path), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}

/**
 * Removes the temp files {@link writeFileAtomic} left beside `path` when a writer died mid-write
 * (kill -9, out of memory, power loss): `<path>.<pid>.<hex>.tmp` of this process's pid (call this
 * before the process writes `path`; in a container the pid is often the same at every start) or of
 * a pid that no longer runs. A live writer's temp file is left alone. Resolves with the count.
 */
export async function removeStaleTempFiles(path: string): Promise<number> {
  const dir = dirname(path)
  const prefix = `${basename(path)}.`
  const names = await readdir(dir).catch(() => [] as string[])
  let removed = 0
  for (const name of names) {
    const pid = /^(\d+)\.[0-9a-f]+\.tmp$/.exec(
      name.startsWith(prefix) ? name.slice(prefix.length) : '',
    )?.[1]
    if (pid === undefined || (Number(pid) !== process.pid && isRunning(Number(pid)))) continue
    await unlink(join(dir, name)).then(
      () => (removed += 1),
      () => undefined,
    )
  }
  return removed
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
