// Config as files with the built process (`node dist/push/sidecar/main.mjs`, as the platforms run
// it): a file source changes several times while a reader in another process reads the written
// files in a tight loop. The reader must only ever see complete files (each read is byte for byte
// one of the renderings of some version), each file is replaced by rename (a new inode per
// version, no temp file left), and CONFIG_ON_CHANGE runs exactly once per change. Then a restart
// during an outage writes the files from the snapshot before the listener opens, and one-shot mode
// (`once`, an init container) writes the files and exits. Assumes the build ran.
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderFormat } from '../../packages/config-sidecar/src/formats/render.js'
import type { Format } from '../../packages/config-sidecar/src/settings/formats.js'
import { tempDir } from '../../test-support/files.js'
import { cleanEnv, run, spawnSidecar } from '../../test-support/processes.js'
import type { Running, SidecarProcess } from '../../test-support/processes.js'
import { waitFor } from '../../test-support/wait.js'

const root = join(import.meta.dirname, '..', '..')
const sidecarMain = join(root, 'dist', 'push', 'sidecar', 'main.mjs')
const TOKEN = 'config-files-token-0123456789abcdef'
const CHANGES = 8

const FILES: { name: string; format: Format }[] = [
  { name: 'app.json', format: 'json' },
  { name: 'app.flat.json', format: 'flat' },
  { name: 'app.properties', format: 'properties' },
  { name: 'app.env', format: 'env' },
  { name: 'app.yaml', format: 'yaml' },
]

/** Version `n` of the config: about 150 kB, so that a write takes long enough to be caught. */
function documentFor(n: number): Record<string, unknown> {
  return {
    version: n,
    greeting: `Hello #${n}: it's "quoted" = $HOME \\ here`,
    items: Array.from({ length: 1500 }, (_, index) => ({
      id: index,
      name: `item ${index} of version ${n}: ${'x'.repeat(40)}`,
      enabled: index % 2 === 0,
    })),
    end: `END-${n}`,
  }
}

const sha = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex')

/** The reader: reads every file in a loop until the stop file exists, and reports what it saw. */
const READER = `
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
const [known, paths, stopFile, reportFile] = process.argv.slice(2)
const versions = new Map(Object.entries(JSON.parse(readFileSync(known, 'utf8'))))
const files = JSON.parse(paths)
const report = { reads: 0, missing: 0, bad: [], seen: {} }
while (!existsSync(stopFile)) {
  for (const path of files) {
    let bytes
    try { bytes = readFileSync(path) } catch { report.missing++; continue }
    report.reads++
    const version = versions.get(createHash('sha256').update(bytes).digest('hex'))
    if (version === undefined) report.bad.push({ path, length: bytes.length })
    else (report.seen[path] ??= []).includes(version) || report.seen[path].push(version)
  }
}
writeFileSync(reportFile, JSON.stringify(report))
`

interface ReaderReport {
  reads: number
  missing: number
  bad: { path: string; length: number }[]
  seen: Record<string, number[]>
}

let dir: { path: string; remove: () => Promise<void> }
let sidecar: Running | undefined

beforeAll(async () => {
  dir = await tempDir('config-sidecar-files-e2e-')
})
afterAll(async () => {
  await sidecar?.stop()
  await dir?.remove()
})

const at = (...parts: string[]): string => join(dir.path, ...parts)

/** Replaces the source file by rename, as a deploy tool would. */
async function writeSource(path: string, document: unknown): Promise<void> {
  await writeFile(`${path}.new`, JSON.stringify(document))
  await rename(`${path}.new`, path)
}

const hookLines = async (path: string): Promise<string[]> =>
  (await readFile(path, 'utf8').catch(() => '')).split('\n').filter(Boolean)

/** The built sidecar with this file's token (and the default poll interval), once it listens. */
async function spawnWithFiles(env: Record<string, string>): Promise<SidecarProcess> {
  return spawnSidecar(dir.path, { ...env, CONFIG_POLL_INTERVAL: undefined }, { token: TOKEN })
}

async function version(port: number): Promise<string> {
  const answer = await fetch(`http://127.0.0.1:${port}/config/`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  })
  return answer.headers.get('x-config-version')!
}

describe('CONFIG_WRITE_FILE and CONFIG_ON_CHANGE, in the built sidecar', () => {
  const out = (): string => at('out')
  const settings = (): Record<string, string> => ({
    CONFIG_SOURCE: `file:${at('source.json')}`,
    CONFIG_CACHE_DIR: at('cache'),
    CONFIG_WRITE_FILE: FILES.map((file) => join(out(), file.name)).join(','),
    CONFIG_ON_CHANGE: `echo "$CONFIG_VERSION" >> '${at('hook.log')}'`,
  })
  let port: number

  it('never shows a reader a partial file, replaces each file by rename, and runs the hook once per change', async () => {
    await mkdir(out())
    // Every complete rendering of every version, by the same renderers the sidecar runs.
    const known: Record<string, number> = {}
    for (let n = 0; n <= CHANGES; n++) {
      for (const { format } of FILES) {
        const rendered = renderFormat(documentFor(n), format)
        if (!('text' in rendered)) throw new Error(rendered.refused)
        known[sha(rendered.text)] = n
      }
    }
    await writeFile(at('known.json'), JSON.stringify(known))
    await writeFile(at('reader.mjs'), READER)

    await writeSource(at('source.json'), documentFor(0))
    ;({ proc: sidecar, port } = await spawnWithFiles(settings()))
    await sidecar.waitForOutput(/config files written/, 10_000)

    const paths = FILES.map((file) => join(out(), file.name))
    const reader = run(process.execPath, [
      at('reader.mjs'),
      at('known.json'),
      JSON.stringify(paths),
      at('stop'),
      at('report.json'),
    ])
    const versions = [await version(port)]
    await waitFor(async () => ((await hookLines(at('hook.log'))).length === 1 ? true : undefined))

    for (let n = 1; n <= CHANGES; n++) {
      // Held open across the change: a file replaced by rename keeps the old content whole under
      // the old handle; one rewritten in place would not.
      const held = await Promise.all(paths.map((path) => open(path, 'r')))
      await writeSource(at('source.json'), documentFor(n))
      await waitFor(
        async () => ((await hookLines(at('hook.log'))).length === n + 1 ? true : undefined),
        { timeoutMs: 10_000, what: `the hook for change ${n}` },
      )
      versions.push(await version(port))
      for (const [index, { format }] of FILES.entries()) {
        const rendered = (m: number) =>
          (renderFormat(documentFor(m), format) as { text: string }).text
        const handle = held[index]!
        expect(await readFile(paths[index]!, 'utf8'), `${format} of change ${n}`).toBe(rendered(n))
        expect(await handle.readFile('utf8'), `${format} before change ${n}`).toBe(rendered(n - 1))
        expect((await handle.stat()).ino).not.toBe((await stat(paths[index]!)).ino)
        await handle.close()
      }
    }
    // No run comes late, and none twice.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    await writeFile(at('stop'), '')
    expect(await reader.exited).toBe(0)
    const report = JSON.parse(await readFile(at('report.json'), 'utf8')) as ReaderReport

    expect(report.bad, 'reads that were not a complete file').toEqual([])
    expect(report.missing).toBe(0)
    expect(report.reads).toBeGreaterThan(CHANGES * FILES.length)
    for (const path of paths) expect(report.seen[path]!.length, path).toBeGreaterThan(1)
    console.log(
      `config-files e2e: ${report.reads} reads of ${FILES.length} files over ${CHANGES} changes, no partial read; versions seen per file: ${paths.map((path) => report.seen[path]!.length).join(', ')}`,
    )

    expect(await hookLines(at('hook.log'))).toEqual(versions)
    expect(new Set(versions).size).toBe(CHANGES + 1)
    for (const path of paths) expect((await stat(path)).mode & 0o777, path).toBe(0o600)
    expect((await readdir(out())).sort()).toEqual(FILES.map((file) => file.name).sort())
    expect(sidecar.output()).not.toContain('item 1 of version')
  }, 90_000)

  it('at a restart during an outage, the files are written from the snapshot before it listens', async () => {
    expect(await sidecar!.stop()).toBe(0)
    sidecar = undefined
    await rm(out(), { recursive: true })
    await mkdir(out())
    await writeFile(at('source.json'), '{"broken": ')
    // Listening: the files were written before (they are checked next).
    ;({ proc: sidecar } = await spawnWithFiles(settings()))
    for (const { name, format } of FILES) {
      const rendered = renderFormat(documentFor(CHANGES), format) as { text: string }
      expect(await readFile(join(out(), name), 'utf8'), name).toBe(rendered.text)
    }
    await sidecar.waitForOutput(/refresh failed; the last good config stays served/, 10_000)
    // The snapshot's files were a change for the files (they were gone): one run, the same version.
    await waitFor(async () =>
      (await hookLines(at('hook.log'))).length === CHANGES + 2 ? true : undefined,
    )
    const runs = await hookLines(at('hook.log'))
    expect(runs.at(-1)).toBe(runs.at(-2))
    expect(await sidecar.stop()).toBe(0)
    sidecar = undefined
  }, 30_000)
})

describe('config-sidecar once, with CONFIG_WRITE_FILE', () => {
  const once = async (env: Record<string, string>) => {
    const child = run(process.execPath, [sidecarMain, 'once'], {
      cwd: dir.path,
      env: cleanEnv({ TMPDIR: dir.path, ...env }),
    })
    return { code: await child.exited, output: child.output() }
  }

  it('writes the files (mode 0600), runs the hook, and exits 0; a second run changes nothing', async () => {
    const work = at('once')
    await mkdir(work)
    await writeSource(join(work, 'source.json'), documentFor(3))
    const env = {
      CONFIG_SOURCE: `file:${join(work, 'source.json')}`,
      CONFIG_CACHE_DIR: join(work, 'cache'),
      CONFIG_WRITE_FILE: `${join(work, 'app.properties')},${join(work, 'app.env')}`,
      CONFIG_ON_CHANGE: `echo "$CONFIG_VERSION" >> '${join(work, 'hook.log')}'`,
    }
    const first = await once(env)
    expect(first.code, first.output).toBe(0)
    for (const [name, format] of [
      ['app.properties', 'properties'],
      ['app.env', 'env'],
    ] as const) {
      const rendered = renderFormat(documentFor(3), format) as { text: string }
      expect(await readFile(join(work, name), 'utf8')).toBe(rendered.text)
      expect((await stat(join(work, name))).mode & 0o777).toBe(0o600)
    }
    expect(await hookLines(join(work, 'hook.log'))).toHaveLength(1)
    const inode = (await stat(join(work, 'app.env'))).ino

    const second = await once(env)
    expect(second.code, second.output).toBe(0)
    expect((await stat(join(work, 'app.env'))).ino).toBe(inode)
    expect(await hookLines(join(work, 'hook.log'))).toHaveLength(1)
  })

  it('exits 1 and writes nothing when a file cannot hold the config, naming both paths', async () => {
    const work = at('once-refused')
    await mkdir(work)
    await writeSource(join(work, 'source.json'), { a: { b: 1 }, a_b: 'secret-value' })
    const { code, output } = await once({
      CONFIG_SOURCE: `file:${join(work, 'source.json')}`,
      CONFIG_CACHE_DIR: join(work, 'cache'),
      CONFIG_WRITE_FILE: join(work, 'app.env'),
    })
    expect(code).toBe(1)
    expect(output).toContain('the keys a.b and a_b are both A_B in .env')
    expect(output).not.toContain('secret-value')
    expect(existsSync(join(work, 'app.env'))).toBe(false)
    expect(existsSync(join(work, 'cache'))).toBe(false)
  })
})
