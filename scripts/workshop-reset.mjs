// `npm run workshop:reset`: puts a clone back the way the workshop (docs/workshop/) and the README
// tour found it, so that they can be run again from the start:
//   - samples/ as committed (`git checkout HEAD -- <each changed file>`);
//   - the key files the exercises make in the repository root (new-key.*, both.*, my-keys.*),
//     and exercise 10's scratch directory (workshop-files/), only while git does not track them;
//   - the sidecar's snapshot cache (its default CONFIG_CACHE_DIR), and the temp directories of
//     exercise 5's dry runs (config-sidecar-workshop.*, or `mktemp -d` directories holding nothing
//     but sidecar snapshots).
// Stop the demo, or the processes of exercises 5 to 7, first. Each thing done is one line; the last
// line says the clone is reset (exit 0), or what could not be done (exit 1).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { lstat, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const temp = tmpdir()

/** The key files the workshop and the deploy exercises make (`keygen --out …`, exercise 5's set). */
const KEY_FILES = [
  'new-key.private.jwks.json',
  'new-key.public.jwks.json',
  'both.private.jwks.json',
  'my-keys.private.jwks.json',
  'my-keys.public.jwks.json',
]
/** Exercise 10's scratch directory in the repository root. */
const SCRATCH_DIR = 'workshop-files'
/**
 * Where the sidecar keeps its snapshot when CONFIG_CACHE_DIR is unset: `config-sidecar-cache` in the
 * user's private directory ($XDG_RUNTIME_DIR, else <tmp>/config-sidecar-<uid>), or, for a sidecar
 * built before that directory existed, in the temp directory itself.
 */
const runtimeDir = process.env.XDG_RUNTIME_DIR
const privateDir = runtimeDir?.startsWith('/')
  ? runtimeDir
  : join(temp, `config-sidecar-${process.getuid?.() ?? 0}`)
const CACHE_DIRS = [join(privateDir, 'config-sidecar-cache'), join(temp, 'config-sidecar-cache')]
const SNAPSHOT_FILE = /^snapshot-[0-9a-f]{16}\.json(\.\d+\.[0-9a-f]+\.tmp)?$/

const problems = []
const say = (line) => process.stdout.write(`${line}\n`)

function git(args) {
  const result = spawnSync('git', ['-C', root, ...args], { encoding: 'utf8' })
  if (result.error !== undefined) throw new Error(`git cannot run (${result.error.message})`)
  if (result.status !== 0) throw new Error(result.stderr.trim().split('\n')[0] || 'git failed')
  return result.stdout
}

const paths = (output) => output.split('\0').filter((path) => path !== '')

// 1. The samples, as committed.
try {
  const changed = paths(git(['diff', '--name-only', '-z', 'HEAD', '--', 'samples']))
  if (changed.length > 0) {
    git(['checkout', 'HEAD', '--', ...changed])
    for (const path of changed) say(`restored ${path}`)
  }
  const untracked = paths(
    git(['ls-files', '--others', '--exclude-standard', '-z', '--', 'samples']),
  )
  for (const path of untracked) {
    say(`left in place: ${path} is not in git (the dev config server serves it too)`)
  }
} catch (error) {
  problems.push(`samples/ cannot be restored: ${error.message}`)
}

// 2. Key files in the repository root, unless git tracks them.
let tracked = new Set()
try {
  tracked = new Set(paths(git(['ls-files', '-z', '--', ...KEY_FILES])))
} catch {
  // Not a git clone: every one of these names is the workshop's.
}
for (const name of KEY_FILES) {
  if (tracked.has(name) || !existsSync(join(root, name))) continue
  await rm(join(root, name), { force: true })
  say(`removed ${name}`)
}
if (existsSync(join(root, SCRATCH_DIR)) && !tracksAny(SCRATCH_DIR)) {
  await rm(join(root, SCRATCH_DIR), { recursive: true, force: true })
  say(`removed ${SCRATCH_DIR}/`)
}

// 3. The snapshot cache, and the dry runs' cache directories.
for (const dir of CACHE_DIRS) {
  if (!existsSync(dir)) continue
  await rm(dir, { recursive: true, force: true })
  say(`removed ${dir} (the sidecar's snapshot cache)`)
}
for (const dir of await dryRunDirs()) {
  await rm(dir, { recursive: true, force: true })
  say(`removed ${dir} (a dry run's cache)`)
}

if (problems.length > 0) {
  for (const problem of problems) process.stderr.write(`${problem}\n`)
  process.exit(1)
}
say('workshop reset: samples/ as committed, no workshop key files, no sidecar snapshot cache')

/** True when git tracks a file under `path` (false outside a git clone). */
function tracksAny(path) {
  try {
    return git(['ls-files', '-z', '--', path]) !== ''
  } catch {
    return false
  }
}

/** Temp directories of this user made for a one-shot dry run (`CONFIG_CACHE_DIR=$(mktemp -d)`). */
async function dryRunDirs() {
  const uid = process.getuid?.()
  const found = []
  for (const name of await readdir(temp).catch(() => [])) {
    const named = name.startsWith('config-sidecar-workshop.')
    if (!named && !/^tmp\.[A-Za-z0-9]+$/.test(name)) continue
    const dir = join(temp, name)
    const info = await lstat(dir).catch(() => undefined)
    if (info === undefined || !info.isDirectory()) continue
    if (uid !== undefined && info.uid !== uid) continue
    if (named) {
      found.push(dir)
      continue
    }
    // A `mktemp -d` directory is the workshop's only when it holds sidecar snapshots, nothing else.
    const entries = await readdir(dir).catch(() => [])
    if (entries.length > 0 && entries.every((entry) => SNAPSHOT_FILE.test(entry))) found.push(dir)
  }
  return found
}
