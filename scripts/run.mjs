// The root commands (`npm run build`, `npm test`, `npm run demo`, …) on a machine with only Node.js
// and npm: brings the pnpm pinned in package.json's packageManager (through npx when it is not
// installed), runs `pnpm install --frozen-lockfile` (quick when nothing is missing), builds when the
// task needs the build, then runs the task. Works the same when started through pnpm (`pnpm build`,
// `pnpm test`).
//
// The raw steps it calls are root scripts of their own (`build:packages`, `lint:check`,
// `format:write`): never `build`, `lint` or `format`, which come back here.
import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { pnpmCommand, root } from './lib/pnpm.mjs'

const [task = '', ...extra] = process.argv.slice(2)

/**
 * What each task runs after the install: `build` first when it needs the build, then its steps
 * (pnpm arguments). `extra` is what followed the task on the command line (`npm test -- <file>`).
 */
const TASKS = {
  build: { build: true, steps: [] },
  check: { build: false, steps: [['exec', 'tsc', '-b', ...extra]] },
  lint: { build: true, steps: [['run', 'lint:check']] },
  format: { build: true, steps: [['run', 'format:write']] },
  test: {
    build: true,
    steps: [
      ['run', 'lint:check'],
      // Informational: prints the production dependencies' advisories, never fails the run.
      ['exec', 'node', 'scripts/audit.mjs'],
      ['exec', 'vitest', 'run', ...extra],
    ],
  },
  'test:unit': { build: true, steps: [['exec', 'vitest', 'run', 'packages/', ...extra]] },
  'test:run': { build: true, steps: [['exec', 'vitest', 'run', ...extra]] },
  'test:watch': { build: true, steps: [['exec', 'vitest', ...extra]] },
  bench: { build: true, steps: [['exec', 'node', 'bench/run.mjs', ...extra]] },
  demo: { build: true, steps: [], then: 'demo' },
  // The pinned pnpm itself, with any arguments (`npm run pnpm -- install`): no install, no build.
  pnpm: { install: false, build: false, steps: [extra] },
}

const chosen = Object.hasOwn(TASKS, task) ? TASKS[task] : undefined
if (chosen === undefined) {
  process.stderr.write(`usage: node scripts/run.mjs ${Object.keys(TASKS).join('|')} [arguments]\n`)
  process.exit(2)
}

const pnpm = pnpmCommand()

function run(args) {
  const [command, ...rest] = [...pnpm, ...args]
  const result = spawnSync(command, rest, {
    cwd: root,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  })
  if (result.error !== undefined) {
    process.stderr.write(`cannot run ${command}: ${result.error.message}\n`)
    process.exit(1)
  }
  if (result.status !== 0) process.exit(result.status ?? 1)
}

if (chosen.install !== false) {
  run(['install', '--frozen-lockfile', '--prefer-offline', '--reporter=append-only'])
}
if (chosen.build) run(['run', 'build:packages'])
for (const step of chosen.steps) run(step)

if (chosen.then === 'demo') {
  const child = spawn(process.execPath, [join(root, 'scripts/demo.mjs'), ...extra], {
    cwd: root,
    stdio: 'inherit',
  })
  // Ctrl-C in a terminal reaches the demo too (same process group); kill() covers a lone signal.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
  // The demo's exit code (1 for a port in use), or 0 when Ctrl-C stopped it before it could say.
  child.on('exit', (code, signal) =>
    process.exit(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1)),
  )
}
