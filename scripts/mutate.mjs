// `npm run mutate -- <package> [folder]`: mutation testing of one package's src, or of one folder
// of it, against that package's unit tests (Stryker with its vitest runner; stryker.config.mjs).
// Brings the pinned pnpm and the dependencies first, like `npm test`. Incremental: a rerun tests
// only the mutants whose code or tests changed. Reports go to reports/mutation/ (not committed).
//   npm run mutate -- config-sidecar http        the sidecar's HTTP layer (a few minutes)
//   npm run mutate -- config-sidecar http/guards.ts   one file
//   npm run mutate -- config-sidecar 'document/*.ts'  a folder's own files, not its subfolders
//   npm run mutate -- config-sidecar             the whole sidecar (about an hour on 2 cores)
//   npm run mutate -- demo-app
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { pnpmCommand, root } from './lib/pnpm.mjs'

const [pkg = 'config-sidecar', folder = ''] = process.argv.slice(2)
if (!existsSync(join(root, 'packages', pkg, 'vitest.config.ts'))) {
  process.stderr.write(
    `usage: npm run mutate -- <package> [folder or file of its src]\n  package: config-sidecar, demo-app or dev-config-server (got "${pkg}")\n`,
  )
  process.exit(2)
}
const scoped = folder.includes('*') ? dirname(folder) : folder
if (folder !== '' && !existsSync(join(root, 'packages', pkg, 'src', scoped))) {
  process.stderr.write(`npm run mutate: packages/${pkg}/src/${folder} does not exist\n`)
  process.exit(2)
}

const run = (command, args, env = {}) => {
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
    shell: process.platform === 'win32',
  })
  if (result.status !== 0) process.exit(result.status ?? 1)
}

const [pnpm, ...pnpmArgs] = pnpmCommand()
run(pnpm, [...pnpmArgs, 'install', '--frozen-lockfile', '--prefer-offline'])
run(join(root, 'node_modules', '.bin', 'stryker'), ['run', 'stryker.config.mjs'], {
  MUTATE_PACKAGE: pkg,
  MUTATE_FOLDER: folder,
})
