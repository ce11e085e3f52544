// Files in tests: a fresh temp directory per test file or case (`tempDir`, removed in an after
// hook), a tree of files written in one call (`writeFiles`), a file replaced whole as the docs tell
// writers to (`replaceFile`), and the mode a new file gets under this process's umask
// (`modeUnderUmask`).
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

/** A fresh temp directory and its removal. */
export async function tempDir(
  prefix = 'config-sidecar-test-',
): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  return { path, remove: () => rm(path, { recursive: true, force: true }) }
}

/** Writes files below `root` (name → content), creating directories as needed. */
export async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    const path = join(root, name)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, content)
  }
}

/**
 * Replaces a file whole: written beside it, then renamed over it, so that a sidecar watching it
 * never reads it half-written (an in-place rewrite is truncated first, and a busy machine can hold
 * the write back for longer than the sidecar's still window).
 */
export async function replaceFile(path: string, content: string): Promise<void> {
  const temp = `${path}.${process.pid}.new`
  await writeFile(temp, content)
  await rename(temp, path)
}

/**
 * The permission bits a file created with `requested` gets under this process's umask, which the
 * children a test starts inherit (read from /proc: `process.umask()` without an argument is
 * deprecated).
 */
export function modeUnderUmask(requested: number): number {
  const umask = /^Umask:\s+([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]
  if (umask === undefined) throw new Error('no Umask line in /proc/self/status')
  return requested & ~Number.parseInt(umask, 8)
}
