// Runs the commands of a Markdown document as a reader would type them, and checks what they print.
// The format (docs/workshop/README.md, "How the workshop is tested"):
//
//   ```sh exercise                  a command, run to completion in a new POSIX shell; must exit 0
//   ```sh exercise retry            the same, run again until its expected output shows up
//   ```sh exercise terminal=NAME    a command that keeps running (a server), in its own terminal
//   <!-- exercise: ctrl-c NAME -->  the reader presses Ctrl-C in that terminal
//   ```text expected                what the command above prints (or, for a terminal, what it
//                                   prints from then on); with terminal=NAME, what that terminal
//                                   prints next. One line per output line, in order; … matches
//                                   anything, and output lines in between are skipped.
//
// Commands run in a sandbox: a temp directory that looks like the repository root, with its own
// TMPDIR and HOME, and free ports in place of 8080, 8082 and 8888. It is a git repository of its own
// holding samples/ as committed in the real one (not as in the working tree: a reader half-way
// through the workshop has edited them there, and `npm test` must still pass), so that
// `npm run workshop:reset` works in it as in a clone. package.json and the scripts the docs run are
// copied (the scripts find the samples next to themselves); dist/ and packages/ are linked.
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { copyFile, cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { tempDir } from '../../test-support/files.js'
import { checkedCandidatePort } from '../../test-support/ports.js'
import { sleep } from '../../test-support/wait.js'

export const repoRoot = join(import.meta.dirname, '..', '..')

/** How long a retried command, or a terminal, may take to show its expected output. */
const EXPECT_TIMEOUT_MS = 15_000
/** Longest a single command may run. */
const COMMAND_TIMEOUT_MS = 20_000
/** Longest a terminal may take to exit after Ctrl-C. */
const STOP_TIMEOUT_MS = 10_000

export interface Expected {
  readonly lines: readonly string[]
  /** Line of the ```text expected fence in the document. */
  readonly at: number
}

export type Step =
  | {
      readonly kind: 'run'
      readonly command: string
      readonly retry: boolean
      readonly at: number
      expected?: Expected
    }
  | {
      readonly kind: 'terminal'
      readonly name: string
      readonly command: string
      readonly at: number
      expected?: Expected
    }
  | { readonly kind: 'expect'; readonly terminal: string; readonly expected: Expected }
  | { readonly kind: 'ctrl-c'; readonly terminal: string; readonly at: number }

const FENCE = /^(\s*)(`{3,}|~{3,})\s*(.*)$/
const CTRL_C = /<!--\s*exercise:\s*ctrl-c\s+(\S+)\s*-->/

/** The runnable steps of a Markdown document, in order. Fences without `exercise`/`expected` are prose. */
export function parseSteps(markdown: string): Step[] {
  const lines = markdown.split('\n')
  const steps: Step[] = []
  let lastCommand: Extract<Step, { kind: 'run' | 'terminal' }> | undefined
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!
    const fence = FENCE.exec(line)
    if (fence === null) {
      const ctrlC = CTRL_C.exec(line)
      if (ctrlC !== null) steps.push({ kind: 'ctrl-c', terminal: ctrlC[1]!, at: index + 1 })
      continue
    }
    const [, indent, marker, info] = fence as unknown as [string, string, string, string]
    const body: string[] = []
    const at = index + 1
    for (index++; index < lines.length; index++) {
      const inner = lines[index]!
      if (inner.trim().startsWith(marker) && inner.trim().replace(/[`~]/g, '') === '') break
      body.push(inner.startsWith(indent) ? inner.slice(indent.length) : inner.trimStart())
    }
    const words = info.trim().split(/\s+/)
    const terminal = words.find((word) => word.startsWith('terminal='))?.slice('terminal='.length)
    if (words[0] === 'sh' && words.includes('exercise')) {
      const command = body.join('\n').trim()
      lastCommand =
        terminal === undefined
          ? { kind: 'run', command, retry: words.includes('retry'), at }
          : { kind: 'terminal', name: terminal, command, at }
      steps.push(lastCommand)
    } else if (words[0] === 'text' && words.includes('expected')) {
      const expected = {
        lines: body.map((text) => text.trimEnd()).filter((text) => text !== ''),
        at,
      }
      if (terminal !== undefined) {
        steps.push({ kind: 'expect', terminal, expected })
      } else {
        if (lastCommand === undefined || lastCommand.expected !== undefined) {
          throw new Error(`line ${at}: an expected block must follow a command that has none yet`)
        }
        lastCommand.expected = expected
      }
    }
  }
  return steps
}

/** True when each expected line matches an output line, in order; returns the index after the last match, or -1. */
export function matchLines(
  output: readonly string[],
  expected: readonly string[],
  from = 0,
): number {
  let position = from
  for (const pattern of expected.map(toPattern)) {
    while (position < output.length && !pattern.test(output[position]!)) position++
    if (position === output.length) return -1
    position++
  }
  return position
}

function toPattern(line: string): RegExp {
  const escaped = line.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  return new RegExp(`^${escaped.join('.*')}$`)
}

const outputLines = (text: string): string[] =>
  text.split('\n').map((line) => line.replace(/\r$/, '').trimEnd())

interface Terminal {
  readonly name: string
  readonly child: ChildProcess
  output: string
  /** Output lines already matched by an expected block. */
  cursor: number
  readonly exited: Promise<number | null>
}

/** A sandbox copy of the repository root with its own ports, TMPDIR and terminals. */
export interface Sandbox {
  readonly root: string
  readonly ports: { readonly app: number; readonly sidecar: number; readonly upstream: number }
  run(steps: readonly Step[], where: string): Promise<void>
  /** Presses Ctrl-C in every terminal still running, as a reader who closes them, and waits. */
  stopTerminals(): Promise<void>
  /** The output of every terminal so far (for failure messages). */
  transcript(): string
  close(): Promise<void>
}

export async function createSandbox(): Promise<Sandbox> {
  for (const built of [
    'dist/push/sidecar/main.mjs',
    'dist/push/app/main.mjs',
    'packages/dev-config-server/dist/main.js',
  ]) {
    if (!existsSync(join(repoRoot, built)))
      throw new Error(`${built} is missing: run npm run build first`)
  }
  const dir = await tempDir('config-sidecar-docs-')
  const root = join(dir.path, 'repo')
  const tmp = join(dir.path, 'tmp')
  const home = join(dir.path, 'home')
  await Promise.all([mkdir(join(root, 'scripts'), { recursive: true }), mkdir(tmp), mkdir(home)])
  await copyCommittedSamples(root)
  for (const file of SANDBOX_FILES) await copyFile(join(repoRoot, file), join(root, file))
  await symlink(join(repoRoot, 'dist'), join(root, 'dist'))
  await symlink(join(repoRoot, 'packages'), join(root, 'packages'))
  commitSamples(root, home)

  const ports = {
    app: await checkedCandidatePort(),
    sidecar: await checkedCandidatePort(),
    upstream: await checkedCandidatePort(),
  }
  if (new Set(Object.values(ports)).size !== 3) throw new Error('free ports collided; run again')
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: home,
    TMPDIR: tmp,
    LANG: 'C.UTF-8',
    npm_config_update_notifier: 'false',
    // scripts/demo.mjs reads these; commands that start a process by hand name their ports.
    PORT: String(ports.app),
    CONFIG_SERVER_PORT: String(ports.sidecar),
    DEV_CONFIG_PORT: String(ports.upstream),
  }
  const localize = (text: string): string =>
    text
      .replace(/\b8080\b/g, String(ports.app))
      .replace(/\b8082\b/g, String(ports.sidecar))
      .replace(/\b8888\b/g, String(ports.upstream))
  // `npm run demo` installs what is missing and builds, then runs scripts/demo.mjs; the suite runs
  // after a build, so the sandbox runs the last part only.
  const command = (text: string): string =>
    text.trim() === 'npm run demo' ? 'node scripts/demo.mjs' : localize(text)
  const expectedLines = (expected: Expected): string[] => expected.lines.map(localize)

  const terminals = new Map<string, Terminal>()
  const everyTerminal: Terminal[] = []

  const shell = (text: string, detached: boolean): ChildProcess =>
    spawn('sh', ['-c', text], { cwd: root, env, detached, stdio: ['ignore', 'pipe', 'pipe'] })

  const runOnce = (text: string): Promise<{ code: number | null; output: string }> =>
    new Promise((resolve) => {
      const child = shell(text, false)
      let output = ''
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
      const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS)
      child.once('close', (code) => {
        clearTimeout(timer)
        resolve({ code, output })
      })
    })

  const transcript = (): string =>
    everyTerminal
      .map(
        (terminal) =>
          `--- terminal ${terminal.name} ---\n${terminal.output.split('\n').slice(-40).join('\n')}`,
      )
      .join('\n')

  const fail = (where: string, at: number, message: string): never => {
    throw new Error(`${where}:${at}: ${message}\n\n${transcript()}`)
  }

  const awaitTerminal = async (
    terminal: Terminal,
    expected: Expected,
    where: string,
  ): Promise<void> => {
    const lines = expectedLines(expected)
    const deadline = Date.now() + EXPECT_TIMEOUT_MS
    let exited = false
    void terminal.exited.then(() => (exited = true))
    for (;;) {
      const complete = outputLines(terminal.output)
      complete.pop() // a line still being written
      const end = matchLines(complete, lines, terminal.cursor)
      if (end !== -1) {
        terminal.cursor = end
        return
      }
      if (exited || Date.now() > deadline) {
        fail(
          where,
          expected.at,
          `terminal ${terminal.name} ${exited ? 'exited' : 'did not print'} the expected lines:\n${lines.join('\n')}`,
        )
      }
      await sleep(50)
    }
  }

  const runStep = async (step: Step, where: string): Promise<void> => {
    switch (step.kind) {
      case 'run': {
        const text = command(step.command)
        const lines = step.expected === undefined ? [] : expectedLines(step.expected)
        const deadline = Date.now() + EXPECT_TIMEOUT_MS
        for (;;) {
          const { code, output } = await runOnce(text)
          const matched = matchLines(outputLines(output), lines) !== -1
          if (code === 0 && matched) return
          if (!step.retry || Date.now() > deadline) {
            fail(
              where,
              step.at,
              `${code === 0 ? 'unexpected output' : `exit code ${String(code)}`} from\n${text}\n--- output ---\n${output}\n--- expected ---\n${lines.join('\n')}`,
            )
          }
          await sleep(250)
        }
      }
      case 'terminal': {
        const running = terminals.get(step.name)
        if (running !== undefined) fail(where, step.at, `terminal ${step.name} is still running`)
        const child = shell(command(step.command), true)
        const terminal: Terminal = {
          name: step.name,
          child,
          output: '',
          cursor: 0,
          exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
        }
        child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (terminal.output += chunk))
        child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (terminal.output += chunk))
        terminals.set(step.name, terminal)
        everyTerminal.push(terminal)
        if (step.expected !== undefined) await awaitTerminal(terminal, step.expected, where)
        return
      }
      case 'expect': {
        const terminal = terminals.get(step.terminal)
        if (terminal === undefined) fail(where, step.expected.at, `no terminal ${step.terminal}`)
        await awaitTerminal(terminal!, step.expected, where)
        return
      }
      case 'ctrl-c': {
        const terminal = terminals.get(step.terminal)
        if (terminal === undefined) fail(where, step.at, `no terminal ${step.terminal} is running`)
        if (terminal!.child.exitCode !== null || terminal!.child.signalCode !== null) {
          fail(where, step.at, `terminal ${step.terminal} had already exited`)
        }
        // A terminal's Ctrl-C signals its whole foreground process group.
        process.kill(-terminal!.child.pid!, 'SIGINT')
        const stopped = await Promise.race([
          terminal!.exited.then(() => true),
          sleep(STOP_TIMEOUT_MS).then(() => false),
        ])
        if (!stopped) fail(where, step.at, `terminal ${step.terminal} did not stop after Ctrl-C`)
        terminals.delete(step.terminal)
        return
      }
    }
  }

  return {
    root,
    ports,
    async run(steps, where) {
      for (const step of steps) await runStep(step, where)
    },
    transcript,
    async stopTerminals() {
      for (const [name, terminal] of terminals) {
        process.kill(-terminal.child.pid!, 'SIGINT')
        const stopped = await Promise.race([
          terminal.exited.then(() => true),
          sleep(STOP_TIMEOUT_MS).then(() => false),
        ])
        if (!stopped)
          throw new Error(`terminal ${name} did not stop after Ctrl-C\n\n${transcript()}`)
        terminals.delete(name)
      }
    },
    async close() {
      for (const terminal of terminals.values()) {
        try {
          process.kill(-terminal.child.pid!, 'SIGKILL')
        } catch {
          // already gone
        }
      }
      await Promise.all(
        [...terminals.values()].map((terminal) => Promise.race([terminal.exited, sleep(2000)])),
      )
      terminals.clear()
      await dir.remove()
    },
  }
}

/** The files of the repository that the docs' commands run in the sandbox (copied, not linked). */
const SANDBOX_FILES = [
  'package.json',
  'scripts/demo.mjs',
  'scripts/demo-ports.mjs',
  'scripts/workshop-reset.mjs',
]

const git = (args: readonly string[], options: { cwd?: string; home?: string } = {}) =>
  spawnSync('git', args, {
    cwd: options.cwd ?? repoRoot,
    env: { PATH: process.env['PATH'], HOME: options.home ?? process.env['HOME'], LANG: 'C' },
    maxBuffer: 64 * 1024 * 1024,
  })

/**
 * Writes samples/ as committed in the repository (git HEAD) under `dest`: the workshop's edits in
 * the working tree never reach a test. Outside a git clone, copies the working tree's samples/.
 */
export async function copyCommittedSamples(dest: string): Promise<void> {
  const listing = git(['ls-tree', '-r', '-z', 'HEAD', '--', 'samples'])
  if (listing.status !== 0) {
    await cp(join(repoRoot, 'samples'), join(dest, 'samples'), { recursive: true })
    return
  }
  for (const entry of listing.stdout.toString('utf8').split('\0')) {
    const match = /^(\d+) blob ([0-9a-f]+)\t(.+)$/.exec(entry)
    if (match === null) continue
    const [, mode, hash, path] = match as unknown as [string, string, string, string]
    const blob = git(['cat-file', 'blob', hash])
    if (blob.status !== 0) throw new Error(`git cat-file ${path}: ${blob.stderr.toString()}`)
    await mkdir(dirname(join(dest, path)), { recursive: true })
    await writeFile(join(dest, path), blob.stdout, { mode: mode === '100755' ? 0o755 : 0o644 })
  }
}

/**
 * Copies a built push directory (`dist/push`, manifest.yml's `path:`) to `dest`, with samples/ as
 * committed in place of the copy `npm run build` took of the working tree's: a test that runs the
 * push directory's processes on its samples gets the same outcome while a reader is half-way through
 * the workshop, whose exercises edit samples/.
 */
export async function copyPushDirWithCommittedSamples(source: string, dest: string): Promise<void> {
  if (!existsSync(join(source, 'sidecar', 'main.mjs')))
    throw new Error(`${relative(repoRoot, source)} is not built: run npm run build first`)
  const built = join(source, 'samples')
  await cp(source, dest, { recursive: true, filter: (path) => path !== built })
  await copyCommittedSamples(dest)
}

/** Makes the sandbox a git repository with samples/ committed, as in a clone. */
function commitSamples(root: string, home: string): void {
  const identity = ['-c', 'user.name=docs', '-c', 'user.email=docs@example.invalid']
  for (const args of [
    ['init', '-q'],
    ['add', 'samples'],
    [...identity, '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'samples as committed'],
  ]) {
    const result = git(args, { cwd: root, home })
    if (result.status !== 0) {
      throw new Error(`git ${args.join(' ')} in the sandbox: ${result.stderr.toString()}`)
    }
  }
}

/** Reads a document of the repository. */
export const readDoc = (path: string): Promise<string> => readFile(join(repoRoot, path), 'utf8')
