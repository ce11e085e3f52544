// The pinned pnpm (package.json's packageManager) for the root scripts: the one running us, one on
// PATH of the same version, or npx. Shared by scripts/run.mjs, scripts/audit.mjs and
// scripts/mutate.mjs, so a machine with only Node.js and npm runs every one of them.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

export const pnpmVersion = JSON.parse(
  readFileSync(join(root, 'package.json'), 'utf8'),
).packageManager.replace(/^pnpm@/, '')

/** The command (argv prefix) that runs the pinned pnpm. */
export function pnpmCommand() {
  const agent = process.env.npm_config_user_agent ?? ''
  const execPath = process.env.npm_execpath
  // Under pnpm, npm_execpath is pnpm's own script; under npm (which `npm test` is) it is npm's, and
  // a pnpm started later may leave it so: use it only when it is pnpm's.
  if (agent.startsWith(`pnpm/${pnpmVersion}`) && execPath && /pnpm/i.test(basename(execPath)))
    return [process.execPath, execPath]
  const onPath = spawnSync('pnpm', ['--version'], {
    encoding: 'utf8',
    shell: process.platform === 'win32',
  })
  if (onPath.status === 0 && onPath.stdout.trim() === pnpmVersion) return ['pnpm']
  return ['npx', '--yes', `pnpm@${pnpmVersion}`]
}
