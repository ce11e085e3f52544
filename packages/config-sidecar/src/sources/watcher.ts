import { basename, dirname } from 'node:path'
import { stat } from 'node:fs/promises'

/** Quiet time after the last file event before the source is read again. */
const SETTLE_MS = 30

/**
 * Watches a config file or directory and calls `onChange` when it may have changed. A file is
 * watched through its directory, so editors that save by renaming and Kubernetes ConfigMap volumes
 * (which swap a `..data` symlink) are both seen. Writes are awaited until the size settles, then
 * events are coalesced; the reader decides from the content whether anything really changed.
 */
export async function watchConfigPath(
  target: string,
  onChange: () => void,
  onError: (error: unknown) => void,
): Promise<() => Promise<void>> {
  const isDirectory = await stat(target).then(
    (stats) => stats.isDirectory(),
    () => false,
  )
  const directory = isDirectory ? target : dirname(target)
  const fileName = basename(target)
  const relevant = (path: string): boolean => {
    const name = basename(path)
    if (name.startsWith('..')) return true // Kubernetes: ..data and the timestamped directories
    if (isDirectory) return !name.startsWith('.')
    return name === fileName
  }

  let timer: NodeJS.Timeout | undefined
  const { watch } = await import('chokidar')
  const watcher = watch(directory, {
    depth: 0,
    ignoreInitial: true,
    followSymlinks: false,
    awaitWriteFinish: { stabilityThreshold: 60, pollInterval: 20 },
  })
  watcher.on('all', (_event, path) => {
    if (path !== directory && !relevant(path)) return
    clearTimeout(timer)
    timer = setTimeout(onChange, SETTLE_MS)
  })
  watcher.on('error', onError)
  await new Promise<void>((resolve) => watcher.once('ready', resolve))

  return async () => {
    clearTimeout(timer)
    await watcher.close()
  }
}
