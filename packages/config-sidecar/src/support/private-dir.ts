import { lstat, mkdir } from 'node:fs/promises'

/**
 * Makes sure `dir` is a directory of the current user's alone before anything is written in it:
 * made with mode 0700 when missing; refused when it is a symlink, not a directory, owned by another
 * user, or writable by group or others (another local user could then plant or swap files in it).
 * Throws an Error whose message names the directory and what is wrong.
 */
export async function ensurePrivateDir(dir: string, what: string): Promise<void> {
  let stats = await lstat(dir).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  })
  if (stats === undefined) {
    await mkdir(dir, { mode: 0o700 }).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    })
    stats = await lstat(dir)
  }
  const problem = stats.isSymbolicLink()
    ? 'is a symlink'
    : !stats.isDirectory()
      ? 'is not a directory'
      : process.getuid !== undefined && stats.uid !== process.getuid()
        ? `is owned by another user (uid ${stats.uid})`
        : (stats.mode & 0o022) !== 0
          ? `is writable by others (mode ${(stats.mode & 0o777).toString(8)})`
          : undefined
  if (problem !== undefined) {
    throw new Error(
      `${what} ${dir} ${problem}: it must be a directory of this user's alone (mode 0700); remove it or choose another`,
    )
  }
}
