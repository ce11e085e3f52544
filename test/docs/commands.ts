// Checks that every command a document shows can run as written on a machine with Node.js and npm
// (plus the platform tools a section names): each command of its shell code blocks, and each inline
// `npm run …`, `npm test` and `npx …` of its prose, must name
//   - an npm script that exists in the package.json of the directory it runs in (`npm run x`,
//     `npm test`), or
//   - a file that exists (`node scripts/x.mjs`, `./x.sh`; under dist/ after `npm run build`), or
//   - a dependency, or a binary of one (`npx tsc`, `npx vitest`; `npx pnpm@<pinned version>`), or
//   - a shell builtin, a POSIX tool, or an external tool of the allow-lists below (cf, kubectl…).
// `pnpm …` is refused: pnpm is not installed on such a machine (`npm run …` brings it).
//
// The shell is read the way sh reads it, as far as the docs need: quotes, `\` line continuations,
// comments, `;` `&&` `||` `|` `&`, subshells `( … )`, command substitutions `$( … )` and `` ` … ` ``
// (whose commands are checked too), `${…}` expansions, redirections, leading `NAME=value`
// assignments, and `cd` (so `cd packages/x && npm run build` is checked against that package.json).
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { proseLines, shellBlocks } from './markdown.js'

/** Shell builtins and POSIX tools the docs use, plus perl and git (the workshop asks for them). */
export const SHELL_TOOLS = new Set([
  ...['cd', 'echo', 'printf', 'export', 'set', 'unset', 'true', 'false', 'test', '[', 'wait'],
  ...['kill', 'sleep', 'cat', 'rm', 'mkdir', 'cp', 'mv', 'ls', 'touch', 'chmod', 'mktemp'],
  ...['grep', 'sed', 'tail', 'head', 'cut', 'tr', 'sort', 'wc', 'xargs', 'find', 'tee', 'diff'],
  ...['id', 'pwd', 'env', 'sh', 'perl', 'git'],
])

/** Tools a section of the docs names as its prerequisite: platforms' CLIs, containers, curl. */
export const EXTERNAL_TOOLS = new Set([
  'curl',
  'cf',
  'kubectl',
  'kustomize',
  'kind',
  'minikube',
  'docker',
  'podman',
])

/** Absolute paths that exist on a platform, not here: Cloud Foundry's shell with the app's env. */
export const EXTERNAL_PATHS = new Set(['/tmp/lifecycle/shell'])

/** npm subcommands that need nothing from the project. */
const NPM_PLAIN = new Set(['--version', '-v', 'version', 'help', 'install', 'i', 'ci'])
/** Root scripts that end in vitest: their arguments that look like paths must exist. */
const VITEST_SCRIPTS = new Set(['test', 'test:unit', 'test:run', 'test:watch'])

/** What the checks compare against. */
export interface Project {
  /** The repository root: commands start there. */
  readonly root: string
  /** The version in package.json's packageManager (`pnpm@<version>`). */
  readonly pnpmVersion: string
  /** Root dependencies (all kinds), and the binaries they install. */
  readonly dependencies: ReadonlySet<string>
  readonly binaries: ReadonlySet<string>
}

/** Reads package.json (and the installed dependencies' bin fields) of the repository at `root`. */
export function readProject(root: string): Project {
  const pkg = readJson(join(root, 'package.json')) as PackageJson
  const dependencies = new Set([
    ...Object.keys(pkg.dependencies ?? {}),
    ...Object.keys(pkg.devDependencies ?? {}),
    ...Object.keys(pkg.optionalDependencies ?? {}),
  ])
  const binaries = new Set<string>()
  for (const name of dependencies) {
    const manifest = join(root, 'node_modules', name, 'package.json')
    if (!existsSync(manifest)) continue
    const { bin } = readJson(manifest) as PackageJson
    if (typeof bin === 'string') binaries.add(name.replace(/^@[^/]+\//, ''))
    else for (const command of Object.keys(bin ?? {})) binaries.add(command)
  }
  return {
    root,
    pnpmVersion: (pkg.packageManager ?? '').replace(/^pnpm@/, ''),
    dependencies,
    binaries,
  }
}

interface PackageJson {
  scripts?: Record<string, string>
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  packageManager?: string
  bin?: string | Record<string, string>
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'))

/** One command of a shell text: its words, and where its first word starts in the text. */
export interface SimpleCommand {
  readonly words: readonly string[]
  readonly offset: number
}

type Item =
  | { readonly kind: 'command'; readonly command: SimpleCommand }
  | { readonly kind: 'open' }
  | { readonly kind: 'close' }

/**
 * The commands of a shell text in order, with `open`/`close` around subshells and command
 * substitutions (where a `cd` does not last). Throws on an unterminated quote or substitution.
 */
export function scanShell(src: string, base = 0): Item[] {
  const items: Item[] = []
  let words: string[] = []
  let word: string | undefined
  let commandStart = -1
  let redirectTarget = false
  const addToWord = (text: string, at: number): void => {
    if (word === undefined && !redirectTarget && words.length === 0) commandStart = base + at
    word = (word ?? '') + text
  }
  const endWord = (): void => {
    if (word === undefined) return
    if (redirectTarget) redirectTarget = false
    else words.push(word)
    word = undefined
  }
  const endCommand = (): void => {
    endWord()
    if (words.length > 0) items.push({ kind: 'command', command: { words, offset: commandStart } })
    words = []
    redirectTarget = false
  }
  let i = 0
  while (i < src.length) {
    const c = src[i]!
    const next = src[i + 1]
    if (c === '\\') {
      if (next !== '\n' && next !== undefined) addToWord(next, i)
      i += 2
    } else if (c === "'") {
      const end = src.indexOf("'", i + 1)
      if (end === -1) throw new Error('unterminated single quote')
      addToWord(src.slice(i + 1, end), i)
      i = end + 1
    } else if (c === '"') {
      const end = readUntil(src, i + 1, '"', items, base)
      addToWord(src.slice(i + 1, end - 1), i)
      i = end
    } else if (c === '$' && next === '(') {
      const end = readSubstitution(src, i + 2, items, base)
      addToWord('$(…)', i)
      i = end
    } else if (c === '$' && next === '{') {
      const end = readUntil(src, i + 2, '}', items, base)
      addToWord('${…}', i)
      i = end
    } else if (c === '`') {
      const end = src.indexOf('`', i + 1)
      if (end === -1) throw new Error('unterminated backquote')
      items.push({ kind: 'open' }, ...scanShell(src.slice(i + 1, end), base + i + 1), {
        kind: 'close',
      })
      addToWord('`…`', i)
      i = end + 1
    } else if (c === '#' && word === undefined) {
      const end = src.indexOf('\n', i)
      i = end === -1 ? src.length : end
    } else if (c === ' ' || c === '\t') {
      endWord()
      i++
    } else if (c === '\n' || c === ';') {
      endCommand()
      i++
    } else if (c === '&' || c === '|') {
      endCommand()
      i += next === c ? 2 : 1
    } else if (c === '(' || c === ')') {
      endCommand()
      items.push({ kind: c === '(' ? 'open' : 'close' })
      i++
    } else if (c === '>' || c === '<') {
      // `2>&1`, `>/dev/null`, `>> file`, `< file`: the word after is a file, not an argument.
      if (word !== undefined && /^\d+$/.test(word)) word = undefined
      else endWord()
      i++
      while (src[i] === '>' || src[i] === '&' || src[i] === '<') i++
      redirectTarget = true
    } else {
      addToWord(c, i)
      i++
    }
  }
  endCommand()
  return items
}

/**
 * From just inside a double-quoted string (`close` is `"`) or a `${…}` (`close` is `}`), the index
 * after its end; the commands of substitutions inside are added to `items`.
 */
function readUntil(
  src: string,
  start: number,
  close: '"' | '}',
  items: Item[],
  base: number,
): number {
  let i = start
  while (i < src.length) {
    const c = src[i]!
    if (c === '\\') i += 2
    else if (c === close) return i + 1
    else if (close === '}' && c === "'") {
      const end = src.indexOf("'", i + 1)
      if (end === -1) throw new Error('unterminated single quote')
      i = end + 1
    } else if (close === '}' && c === '"') i = readUntil(src, i + 1, '"', items, base)
    else if (c === '$' && src[i + 1] === '(') i = readSubstitution(src, i + 2, items, base)
    else if (c === '$' && src[i + 1] === '{') i = readUntil(src, i + 2, '}', items, base)
    else if (c === '`') {
      const end = src.indexOf('`', i + 1)
      if (end === -1) throw new Error('unterminated backquote')
      items.push({ kind: 'open' }, ...scanShell(src.slice(i + 1, end), base + i + 1), {
        kind: 'close',
      })
      i = end + 1
    } else i++
  }
  throw new Error(close === '"' ? 'unterminated double quote' : 'unterminated ${')
}

/** From just after `$(`, the index after its `)`; its commands go to `items`, in a subshell. */
function readSubstitution(src: string, start: number, items: Item[], base: number): number {
  let depth = 1
  let i = start
  while (i < src.length) {
    const c = src[i]!
    if (c === '\\') i += 2
    else if (c === "'") {
      const end = src.indexOf("'", i + 1)
      if (end === -1) throw new Error('unterminated single quote')
      i = end + 1
    } else if (c === '"') i = readUntil(src, i + 1, '"', [], base)
    else if (c === '$' && src[i + 1] === '{') i = readUntil(src, i + 2, '}', [], base)
    else {
      if (c === '(') depth++
      if (c === ')' && --depth === 0) {
        items.push({ kind: 'open' }, ...scanShell(src.slice(start, i), base + start), {
          kind: 'close',
        })
        return i + 1
      }
      i++
    }
  }
  throw new Error('unterminated $(')
}

/** A command that cannot run as written, and why. */
export interface CommandProblem {
  readonly command: string
  /** Offset of the command in the text checked. */
  readonly offset: number
  readonly reason: string
}

/** A command of a shell text, with the directory it runs in (following `cd`, within subshells). */
export interface CommandInPlace {
  /** The words, without leading assignments and {@link PREFIXES}. */
  readonly words: readonly string[]
  readonly offset: number
  readonly cwd: string
  /** Set for a `cd` whose directory does not exist. */
  readonly missingDirectory?: string
}

/** The commands of a shell text in order, each with the directory it runs in, from `root`. */
export function commandsIn(text: string, root: string): CommandInPlace[] {
  const found: CommandInPlace[] = []
  const stack: string[] = []
  let cwd = root
  let previous = cwd
  for (const item of scanShell(text)) {
    if (item.kind === 'open') {
      stack.push(cwd)
      continue
    }
    if (item.kind === 'close') {
      cwd = stack.pop() ?? root
      continue
    }
    const words = withoutPrefixes(item.command.words)
    // `for x in …`, and the words that close a compound command, are no commands of their own.
    if (words.length === 0 || NOT_COMMANDS.has(words[0]!)) continue
    const command = { words, offset: item.command.offset, cwd }
    if (words[0] === 'cd') {
      const target = words[1]
      if (target === '-') [cwd, previous] = [previous, cwd]
      else if (target !== undefined && !/[$~…]/.test(target)) {
        const dir = resolve(cwd, target)
        if (!isDirectory(dir)) {
          found.push({ ...command, missingDirectory: dir })
          continue
        }
        ;[previous, cwd] = [cwd, dir]
      }
    }
    found.push(command)
  }
  return found
}

/** Every command of a shell text that cannot run as written, starting in the repository root. */
export function checkShell(text: string, project: Project): CommandProblem[] {
  let commands: CommandInPlace[]
  try {
    commands = commandsIn(text, project.root)
  } catch (error) {
    return [{ command: text.split('\n')[0] ?? '', offset: 0, reason: (error as Error).message }]
  }
  const problems: CommandProblem[] = []
  for (const { words, offset, cwd, missingDirectory } of commands) {
    const reason =
      missingDirectory !== undefined
        ? `no directory ${relative(project.root, missingDirectory)}`
        : words[0] === 'cd'
          ? undefined
          : checkCommand(words, cwd, project)
    if (reason !== undefined) problems.push({ command: words.join(' '), offset, reason })
  }
  return problems
}

/** Words that may come before a command: `env`, `exec`, `time`, `!` and reserved words. */
const PREFIXES = new Set([
  'env',
  'exec',
  'time',
  '!',
  'if',
  'then',
  'else',
  'elif',
  'while',
  'until',
  'do',
  '{',
])
/** First words that start no command to check. */
const NOT_COMMANDS = new Set(['for', 'case', 'esac', 'done', 'fi', '}'])

/** The words of a command without leading `NAME=value` assignments and {@link PREFIXES}. */
function withoutPrefixes(words: readonly string[]): string[] {
  let start = 0
  while (start < words.length) {
    const word = words[start]!
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(word) || PREFIXES.has(word)) {
      start++
    } else break
  }
  return words.slice(start)
}

const isDirectory = (path: string): boolean => existsSync(path) && statSync(path).isDirectory()

/** Why the command cannot run as written from `cwd`, or undefined when it can. */
export function checkCommand(
  words: readonly string[],
  cwd: string,
  project: Project,
): string | undefined {
  const [name, ...args] = words as [string, ...string[]]
  if (SHELL_TOOLS.has(name) || EXTERNAL_TOOLS.has(name)) return undefined
  switch (name) {
    case 'npm':
      return checkNpm(args, cwd, project)
    case 'npx':
      return checkNpx(args, cwd, project)
    case 'node':
      return checkNode(args, cwd, project)
    case 'pnpm':
      return 'pnpm is not installed on a machine with only Node.js and npm: write `npm run <script>` (it brings the pinned pnpm), or `npm run pnpm -- <arguments>`'
  }
  if (name.includes('/')) {
    if (isAbsolute(name)) {
      return EXTERNAL_PATHS.has(name) ? undefined : `${name} is not a known platform path`
    }
    return existsSync(resolve(cwd, name))
      ? undefined
      : `no file ${relative(project.root, resolve(cwd, name))}`
  }
  return `\`${name}\` is not an npm script, a file, a dependency's binary or a known tool (add it to EXTERNAL_TOOLS in test/docs/commands.ts if the docs name it as a prerequisite)`
}

/** The package.json that npm uses in `cwd`: the nearest one up to the repository root. */
function packageJsonOf(cwd: string, root: string): { path: string; pkg: PackageJson } | undefined {
  for (let dir = cwd; ; dir = dirname(dir)) {
    const path = join(dir, 'package.json')
    if (existsSync(path)) return { path, pkg: readJson(path) as PackageJson }
    if (dir === root || dir === dirname(dir)) return undefined
  }
}

function checkNpm(args: readonly string[], cwd: string, project: Project): string | undefined {
  let at = 0
  while (at < args.length && args[at]!.startsWith('-') && !NPM_PLAIN.has(args[at]!)) at++
  const sub = args[at]
  const rest = args.slice(at)
  if (sub === undefined || NPM_PLAIN.has(sub)) return undefined
  let script: string | undefined
  let scriptArgs: readonly string[] = []
  if (['run', 'run-script', 'rum', 'urn'].includes(sub)) {
    const names = rest.slice(1)
    const at = names.findIndex((arg) => !arg.startsWith('-'))
    if (at === -1) return undefined // `npm run` lists the scripts
    script = names[at]!
    scriptArgs = names.slice(at + 1)
  } else if (['test', 't', 'tst', 'start', 'stop', 'restart'].includes(sub)) {
    script = sub === 't' || sub === 'tst' ? 'test' : sub
    scriptArgs = rest.slice(1)
  } else {
    return `npm ${sub} is not a command these checks know`
  }
  const found = packageJsonOf(cwd, project.root)
  if (found === undefined) return `no package.json in ${relative(project.root, cwd) || '.'}`
  const where = relative(project.root, found.path)
  if (found.pkg.scripts?.[script] === undefined) return `${where} has no script "${script}"`
  if (VITEST_SCRIPTS.has(script) && dirname(found.path) === project.root) {
    return missingPaths(scriptArgs, cwd, project)
  }
  return undefined
}

function checkNpx(args: readonly string[], cwd: string, project: Project): string | undefined {
  let index = 0
  let packageName: string | undefined
  while (index < args.length && args[index]!.startsWith('-')) {
    const flag = args[index]!
    if (flag === '-p' || flag === '--package') packageName = args[++index]
    else if (flag.startsWith('--package=')) packageName = flag.slice('--package='.length)
    index++
  }
  const command = args[index]
  if (command === undefined) return 'npx without a command'
  const [, name, version] = /^(@?[^@]+)(?:@(.+))?$/.exec(packageName ?? command) ?? []
  if (name === 'pnpm') {
    return version === project.pnpmVersion
      ? undefined
      : `npx pnpm must name the pinned version: pnpm@${project.pnpmVersion}`
  }
  if (name === undefined || !(project.dependencies.has(name) || project.binaries.has(name))) {
    return `npx ${command}: not a dependency of package.json (npx would download something else)`
  }
  if (command === 'vitest') return missingPaths(args.slice(index + 1), cwd, project)
  return undefined
}

function checkNode(args: readonly string[], cwd: string, project: Project): string | undefined {
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!
    if (['-e', '--eval', '-p', '--print', '-v', '--version', '-h', '--help'].includes(arg)) {
      return undefined
    }
    if (['-r', '--require', '--import', '--env-file', '--input-type', '--loader'].includes(arg)) {
      index++
      continue
    }
    if (arg.startsWith('-')) continue
    const file = resolve(cwd, arg)
    if (existsSync(file)) return undefined
    const shown = relative(project.root, file)
    return /(^|\/)dist\//.test(shown)
      ? `node ${arg}: ${shown} is missing (run npm run build first, or the path is wrong)`
      : `node ${arg}: no file ${shown}`
  }
  return undefined
}

/** Vitest's arguments that look like paths (a `/` in them) must name files or folders that exist. */
function missingPaths(args: readonly string[], cwd: string, project: Project): string | undefined {
  const missing = args
    .filter((arg) => arg !== '--' && !arg.startsWith('-') && arg.includes('/'))
    .filter((arg) => !existsSync(resolve(cwd, arg)))
  return missing.length === 0
    ? undefined
    : `no ${missing.map((arg) => relative(project.root, resolve(cwd, arg))).join(', ')}`
}

/** The inline code spans of prose that run an npm script or npx, with their lines. */
export function inlineCommands(markdown: string): { text: string; line: number }[] {
  const found: { text: string; line: number }[] = []
  for (const { text, line } of proseLines(markdown)) {
    for (const match of text.matchAll(/(?<!`)`([^`]+)`(?!`)/g)) {
      const span = match[1]!.trim()
      // Only the forms that are always instructions; `npm start` may be named to say it is not used.
      // A pattern (`npm run <script>`, `npm run …`) names no script.
      if (/…|<[^>]+>/.test(span)) continue
      if (/^(npm run |npm test\b|npx )/.test(span)) found.push({ text: span, line })
    }
  }
  return found
}

/** A command of a document that cannot run as written: `line` is the document's line. */
export interface DocumentProblem extends CommandProblem {
  readonly line: number
}

/** Every command of a Markdown document (shell blocks, and inline npm/npx spans) that cannot run. */
export function checkDocument(markdown: string, project: Project): DocumentProblem[] {
  const problems: DocumentProblem[] = []
  for (const block of shellBlocks(markdown)) {
    for (const problem of checkShell(block.text, project)) {
      const before = block.text.slice(0, Math.max(0, problem.offset))
      problems.push({ ...problem, line: block.line + 1 + before.split('\n').length - 1 })
    }
  }
  for (const { text, line } of inlineCommands(markdown)) {
    for (const problem of checkShell(text, project)) problems.push({ ...problem, line })
  }
  return problems.sort((a, b) => a.line - b.line)
}
