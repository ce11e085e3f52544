// The layout, checked over the import graph of every package's src/: no import cycle anywhere; in
// the sidecar, each folder imports only the folders its README.md lists under "May import:" (so the
// tree reads bottom-up in the order a config value travels); and every third-party library is
// imported only in its room. Also the tests' layout: helpers live in test-support/, not beside the
// tests.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '..')
const PACKAGES = ['shared', 'config-sidecar', 'demo-app', 'dev-config-server']
const SIDECAR_SRC = 'packages/config-sidecar/src'

/**
 * Where each third-party library may be imported (path prefixes). Anything imported from outside
 * Node and the workspace must be listed here: a library has one room.
 */
const ROOMS: Record<string, Record<string, readonly string[]>> = {
  shared: {},
  'config-sidecar': {
    express: ['http/operations.ts'],
    got: ['sources/http-source.ts', 'sources/auth/client-credentials.ts'],
    'node-jose': ['document/crypto/'],
    chokidar: ['sources/watcher.ts'],
    'prom-client': ['http/metrics.ts'],
    yaml: ['document/parse.ts'],
  },
  'demo-app': {
    express: ['app.ts', 'page/'],
    got: ['sidecar-client.ts'],
  },
  'dev-config-server': {
    express: ['server.ts', 'request-log.ts'],
    yaml: ['parse.ts'],
    chokidar: ['watcher.ts'],
  },
}

interface SourceFile {
  readonly path: string
  readonly imports: readonly string[]
}

function walk(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name)
    if (statSync(path).isDirectory()) return walk(path)
    return path.endsWith('.ts') ? [path] : []
  })
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

function readPackage(name: string): SourceFile[] {
  return walk(join(root, 'packages', name, 'src')).map((path) => {
    const text = readFileSync(path, 'utf8')
    const imports = [...text.matchAll(IMPORT)].map((match) => (match[1] ?? match[2])!)
    return { path: relative(root, path), imports }
  })
}

/** The file a relative import lands on (`./x.js` is the source `./x.ts`). */
function target(from: string, specifier: string): string {
  return relative(root, resolve(root, dirname(from), specifier.replace(/\.js$/, '.ts')))
}

function cycles(files: readonly SourceFile[]): string[][] {
  const edges = new Map(
    files.map((file) => [
      file.path,
      file.imports.filter((spec) => spec.startsWith('.')).map((spec) => target(file.path, spec)),
    ]),
  )
  const found: string[][] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const stack: string[] = []
  const visit = (node: string): void => {
    state.set(node, 'visiting')
    stack.push(node)
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'visiting') found.push([...stack.slice(stack.indexOf(next)), next])
      else if (state.get(next) === undefined) visit(next)
    }
    stack.pop()
    state.set(node, 'done')
  }
  for (const node of edges.keys()) if (state.get(node) === undefined) visit(node)
  return found
}

/** The sidecar folder a path is in (`document` for src/document/crypto/x.ts), or '' at the top. */
function folderOf(path: string): string {
  const inside = relative(SIDECAR_SRC, path)
  return inside.includes('/') ? inside.split('/')[0]! : ''
}

/** Each sidecar folder's "May import:" line, from its README.md. */
function allowedImports(): Map<string, Set<string>> {
  const folders = readdirSync(join(root, SIDECAR_SRC)).filter((name) =>
    statSync(join(root, SIDECAR_SRC, name)).isDirectory(),
  )
  return new Map(
    folders.map((folder) => {
      const readme = readFileSync(join(root, SIDECAR_SRC, folder, 'README.md'), 'utf8')
      const line = /^May import: (.*)$/m.exec(readme)
      if (line === null) throw new Error(`${folder}/README.md has no "May import:" line`)
      const allowed = line[1]!.startsWith('nothing') ? [] : line[1]!.split(/,\s*/)
      return [folder, new Set(allowed)]
    }),
  )
}

describe('the import graph', () => {
  const graphs = new Map(PACKAGES.map((name) => [name, readPackage(name)]))

  it.each(PACKAGES)('%s has no import cycle', (name) => {
    expect(cycles(graphs.get(name)!)).toEqual([])
  })

  it('sidecar folders import only downward, as each folder README says', () => {
    const allowed = allowedImports()
    const order = [...allowed.keys()]
    const wrong: string[] = []
    for (const file of graphs.get('config-sidecar')!) {
      const from = folderOf(file.path)
      for (const spec of file.imports.filter((s) => s.startsWith('.'))) {
        const to = folderOf(target(file.path, spec))
        if (to === from) continue
        if (to === '') wrong.push(`${file.path} imports ${spec}: the composition root is on top`)
        else if (from !== '' && !allowed.get(from)!.has(to))
          wrong.push(
            `${file.path} imports ${spec} (${from} may import ${[...allowed.get(from)!].join(', ') || 'nothing'})`,
          )
      }
    }
    expect(wrong).toEqual([])
    // The folders' rules themselves run one way: no folder may import one that may import it.
    for (const folder of order)
      for (const lower of allowed.get(folder)!) {
        expect(allowed.has(lower), `${folder} names an unknown folder ${lower}`).toBe(true)
        expect(
          allowed.get(lower)!.has(folder),
          `${folder} and ${lower} may import each other`,
        ).toBe(false)
      }
  })

  it('keeps at most six files directly in the sidecar src/', () => {
    const top = readdirSync(join(root, SIDECAR_SRC)).filter((name) => name.endsWith('.ts'))
    expect(top.length).toBeLessThanOrEqual(6)
  })

  it.each(PACKAGES)('%s imports each third-party library only in its room', (name) => {
    const rooms = ROOMS[name]!
    const wrong: string[] = []
    for (const file of graphs.get(name)!) {
      const inside = relative(join('packages', name, 'src'), file.path)
      for (const spec of file.imports) {
        if (spec.startsWith('.') || spec.startsWith('node:') || spec === '@sample/shared') continue
        if (name === 'shared') {
          wrong.push(`${file.path} imports ${spec}: shared imports Node built-ins only`)
          continue
        }
        const library = spec.startsWith('@')
          ? spec.split('/').slice(0, 2).join('/')
          : spec.split('/')[0]!
        const room = rooms[library]
        if (room === undefined)
          wrong.push(`${file.path} imports ${spec}, which has no room in ROOMS`)
        else if (!room.some((prefix) => inside.startsWith(prefix)))
          wrong.push(`${file.path} imports ${library}, whose room is ${room.join(', ')}`)
      }
    }
    expect(wrong).toEqual([])
  })
})

/**
 * The TypeScript files of the test folders that are not tests: each has a reason in
 * docs/testing.md ("Helpers"); every other helper lives in test-support/.
 */
const HELPERS_BESIDE_TESTS = new Set([
  // The doc tests' own machinery.
  'test/docs/commands.ts',
  'test/docs/doc-runner.ts',
  'test/docs/markdown.ts',
  // The CLI tests' runner of the package's development build.
  'packages/config-sidecar/test/cli/support.ts',
])

describe('the test helpers', () => {
  it('live in test-support/: the test folders hold tests (and fixtures)', () => {
    const testFolders = ['test', ...PACKAGES.map((name) => join('packages', name, 'test'))].filter(
      (folder) => existsSync(join(root, folder)),
    )
    const helpers = testFolders
      .flatMap((folder) => walk(join(root, folder)))
      .map((path) => relative(root, path))
      .filter((path) => !path.endsWith('.test.ts') && !HELPERS_BESIDE_TESTS.has(path))
    expect(helpers).toEqual([])
  })
})
