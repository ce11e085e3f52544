// `npm test`, `npm run demo` and `npm run bench` on a machine with only Node.js and npm: brings the
// pnpm pinned in package.json's packageManager (through npx when it is not installed), installs the
// dependencies, builds, then runs the task. Works the same when started through pnpm.
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const task = process.argv[2]
const extra = process.argv.slice(3)
const pnpmVersion = JSON.parse(
  readFileSync(join(root, 'package.json'), 'utf8'),
).packageManager.replace(/^pnpm@/, '')

/** The command that runs the pinned pnpm: the one running us, one on PATH, or npx. */
function pnpmCommand() {
  const agent = process.env.npm_config_user_agent ?? ''
  const execPath = process.env.npm_execpath
  if (agent.startsWith(`pnpm/${pnpmVersion}`) && execPath) return [process.execPath, execPath]
  const onPath = spawnSync('pnpm', ['--version'], {
    encoding: 'utf8',
    shell: process.platform === 'win32',
  })
  if (onPath.status === 0 && onPath.stdout.trim() === pnpmVersion) return ['pnpm']
  return ['npx', '--yes', `pnpm@${pnpmVersion}`]
}

const pnpm = pnpmCommand()

function run(args, options = {}) {
  const [command, ...rest] = [...pnpm, ...args]
  const result = spawnSync(command, rest, {
    cwd: root,
    stdio: 'inherit',
    shell: process.platform === 'win32',
    ...options,
  })
  if (result.status !== 0) process.exit(result.status ?? 1)
}

run(['install', '--frozen-lockfile', '--prefer-offline', '--reporter=append-only'])
run(['run', 'build'])

switch (task) {
  case 'test':
    run(['run', 'lint'])
    run(['exec', 'vitest', 'run', ...extra])
    break
  case 'bench':
    run(['exec', 'node', 'bench/run.mjs', ...extra])
    break
  case 'demo': {
    const child = spawn(process.execPath, [join(root, 'scripts/demo.mjs'), ...extra], {
      cwd: root,
      stdio: 'inherit',
    })
    for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
    child.on('exit', (code) => process.exit(code ?? 0))
    break
  }
  default:
    process.stderr.write(`usage: node scripts/run.mjs test|demo|bench\n`)
    process.exit(2)
}
