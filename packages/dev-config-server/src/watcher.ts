// Watches the config directory and reports which files changed.
import { relative } from 'node:path'
import { watch } from 'chokidar'

/** Quiet time after the last file event before listeners hear of a change. */
const SETTLE_MS = 50

/**
 * Watches the config directory (and its label subdirectories) and calls `onChange` with the
 * changed paths, relative to `directory`, once events settle. Requests re-check each file's stat
 * anyway; the watcher drops the parsed files early and tells the log what changed.
 */
export async function watchDirectory(
  directory: string,
  onChange: (paths: readonly string[]) => void,
  onError: (error: unknown) => void,
): Promise<() => Promise<void>> {
  const watcher = watch(directory, { ignoreInitial: true, depth: 8, followSymlinks: false })
  let timer: NodeJS.Timeout | undefined
  const pending = new Set<string>()

  watcher.on('all', (_event, path) => {
    pending.add(relative(directory, path) || '.')
    clearTimeout(timer)
    timer = setTimeout(() => {
      const paths = [...pending].sort()
      pending.clear()
      onChange(paths)
    }, SETTLE_MS)
  })
  watcher.on('error', onError)
  await new Promise<void>((resolve) => watcher.once('ready', resolve))

  return async () => {
    clearTimeout(timer)
    await watcher.close()
  }
}
