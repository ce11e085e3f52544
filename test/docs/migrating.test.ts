// docs/migrating.md against the built processes: what an app that sends no token gets (the 401, its
// headers and the log line, as the page shows them), each "read the token, send the header" example
// run as written against a real sidecar, with the token found each way an app finds it (Node.js
// always; Python, Ruby and Java when installed), the CONFIG_SIDECAR_AUTH=none opt-out, and the
// demo app beside a sidecar that serves /config/ and nothing else, as the original sample's did.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../test-support/files.js'
import { rawRequest } from '../../test-support/http.js'
import { cleanEnv, run, spawnApp, spawnSidecar } from '../../test-support/processes.js'
import type { Running, SidecarProcess } from '../../test-support/processes.js'
import { listen } from '../../test-support/servers.js'
import { waitFor } from '../../test-support/wait.js'
import { matchLines, readDoc } from './doc-runner.js'

const PAGE = 'docs/migrating.md'
const page = await readDoc(PAGE)
const uid = process.getuid?.() ?? 0

/** A fenced block of the page: its language, the file name its info string gives, its text. */
interface Block {
  readonly language: string
  readonly file: string | undefined
  readonly text: string
}

/** The page's fenced code blocks, in order. */
function blocksOf(markdown: string): Block[] {
  const blocks: Block[] = []
  const lines = markdown.split('\n')
  for (let index = 0; index < lines.length; index++) {
    const fence = /^(`{3,})\s*(\S*)\s*(\S*)\s*$/.exec(lines[index]!)
    if (fence === null) continue
    const [, marker, language, file] = fence as unknown as [string, string, string, string]
    const body: string[] = []
    for (index++; index < lines.length && lines[index]!.trim() !== marker; index++)
      body.push(lines[index]!)
    blocks.push({ language, file: file === '' ? undefined : file, text: `${body.join('\n')}\n` })
  }
  return blocks
}

const blocks = blocksOf(page)
/** The lines of the page's `text` block that contains `marker`. */
const shownLines = (marker: string): string[] => {
  const block = blocks.find(
    (candidate) => candidate.language === 'text' && candidate.text.includes(marker),
  )
  if (block === undefined) throw new Error(`${PAGE}: no text block shows ${marker}`)
  return block.text.split('\n').filter((line) => line !== '')
}
/** The page's example written to be run as `file` (its info string is `<language> <file>`). */
const example = (file: string): string => {
  const block = blocks.find((candidate) => candidate.file === file)
  if (block === undefined) throw new Error(`${PAGE} has no example ${file}`)
  return block.text
}

const installed = (command: string, args: string[]): boolean =>
  spawnSync(command, args, { stdio: 'ignore' }).status === 0

/** Each example, and how the page says to run it (Java is compiled once, then run from classes). */
const LANGUAGES = [
  { name: 'Node.js', file: 'config-client.mjs', present: true, command: process.execPath },
  {
    name: 'Python',
    file: 'config_client.py',
    present: installed('python3', ['--version']),
    command: 'python3',
  },
  {
    name: 'Ruby',
    file: 'config_client.rb',
    present: installed('ruby', ['--version']),
    command: 'ruby',
  },
  {
    name: 'Java',
    file: 'ConfigClient.java',
    present: installed('java', ['-version']) && installed('javac', ['-version']),
    command: 'java',
  },
] as const

const GREETING = `hello from the migrating page ${Math.random().toString(36).slice(2)}`

let dir: { path: string; remove: () => Promise<void> }
let sidecar: SidecarProcess
/** Where the sidecar wrote its token: `config-sidecar-<uid>` under TMPDIR (no XDG_RUNTIME_DIR). */
let tokenDir: string
let tokenFile: string
let token: string
/** A TMPDIR with no token under it. */
let elsewhere: string

beforeAll(async () => {
  dir = await tempDir('config-sidecar-migrating-')
  const config = join(dir.path, 'application.yaml')
  await writeFile(config, `greeting: ${GREETING}\nlimits:\n  requestsPerMinute: 600\n`)
  // As in Cloud Foundry: no CONFIG_SIDECAR_TOKEN, no XDG_RUNTIME_DIR, a TMPDIR of its own.
  sidecar = await spawnSidecar(
    dir.path,
    { CONFIG_SOURCE: `file:${config}`, XDG_RUNTIME_DIR: undefined },
    { token: null },
  )
  tokenDir = join(dir.path, `config-sidecar-${uid}`)
  tokenFile = join(tokenDir, `config-sidecar-${sidecar.port}.token`)
  token = (await readFile(tokenFile, 'utf8')).trim()
  elsewhere = join(dir.path, 'elsewhere')
  await mkdir(elsewhere)
  await waitFor(
    async () =>
      (await sidecar.get('/config/', { headers: { authorization: `Bearer ${token}` } })).status ===
      200
        ? true
        : undefined,
    { timeoutMs: 10_000, what: 'the config at the sidecar' },
  )
})
afterAll(async () => {
  await sidecar?.stop('SIGKILL')
  await dir?.remove()
})

describe(`${PAGE}: an app that sends no token`, () => {
  it('gets the 401, with the headers and the error body the page shows', async () => {
    expect(blocks.some((block) => block.text.trim() === 'curl -si localhost:8082/config/')).toBe(
      true,
    )
    const shown = shownLines('HTTP/1.1 401')
    const answer = await rawRequest(`${sidecar.url}/config/`)
    expect(answer.status).toBe(401)
    expect(shown[0]).toBe('HTTP/1.1 401 Unauthorized')
    for (const line of shown.slice(1)) {
      const header = /^([a-z-]+): (.*)$/.exec(line)
      if (header !== null) expect(answer.headers[header[1]!], line).toBe(header[2])
    }
    expect(shown.at(-1)).toBe(answer.body)
    // Answered the same with an Authorization header that is not the token.
    const wrong = await rawRequest(`${sidecar.url}/config/`, {
      headers: { authorization: 'Bearer not-the-token-0123456789' },
    })
    expect([wrong.status, wrong.body]).toEqual([401, answer.body])
  })

  it('is logged as the page shows it, without the header', async () => {
    await rawRequest(`${sidecar.url}/config/`)
    const shown = shownLines('refused a local caller')
    const logged = await waitFor(() => {
      const lines = sidecar.proc.output().split('\n')
      return matchLines(lines, shown) === -1 ? undefined : lines
    })
    expect(logged.join('\n')).not.toContain(token)
  })

  it('gets a 200 at /livez and /readyz, which need no token', async () => {
    expect((await rawRequest(`${sidecar.url}/livez`)).status).toBe(200)
    expect((await rawRequest(`${sidecar.url}/readyz`)).status).toBe(200)
  })
})

describe.each(LANGUAGES)(`${PAGE}: the $name example`, (language) => {
  let work: string
  let main: string[]

  beforeAll(async () => {
    if (!language.present) return
    work = join(dir.path, 'examples', language.file)
    await mkdir(work, { recursive: true })
    await writeFile(join(work, language.file), example(language.file))
    main = [language.file]
    if (language.name === 'Java') {
      const javac = spawnSync('javac', ['-d', work, join(work, language.file)], {
        encoding: 'utf8',
      })
      expect(javac.status, javac.stderr).toBe(0)
      main = ['-cp', work, 'ConfigClient']
    }
  })

  /** Runs the example as an app beside the sidecar: the platform's settings plus `env`. */
  const runExample = async (
    env: Record<string, string>,
  ): Promise<{ code: number | null; output: string }> => {
    const proc: Running = run(language.command, main, {
      cwd: work,
      env: cleanEnv({ TMPDIR: dir.path, CONFIG_SERVER_PORT: String(sidecar.port), ...env }),
    })
    // 'close' comes once the output has been read to its end.
    const closed = new Promise<void>((resolve) => proc.child.once('close', () => resolve()))
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), 20_000)
    const code = await proc.exited
    await closed
    clearTimeout(timer)
    return { code, output: proc.output() }
  }

  // Past the first case, TMPDIR leads nowhere: only the way under test finds the token.
  it.skipIf(!language.present).each([
    ['the file the sidecar wrote, under TMPDIR', () => ({})],
    [
      'the file the sidecar wrote, in XDG_RUNTIME_DIR',
      () => ({ XDG_RUNTIME_DIR: tokenDir, TMPDIR: elsewhere }),
    ],
    [
      'CONFIG_SIDECAR_TOKEN=file:<path>',
      () => ({ CONFIG_SIDECAR_TOKEN: `file:${tokenFile}`, TMPDIR: elsewhere }),
    ],
    [
      'CONFIG_SIDECAR_TOKEN=<the token>',
      () => ({ CONFIG_SIDECAR_TOKEN: token, TMPDIR: elsewhere }),
    ],
  ] as const)('gets the config with the token from %s', async (_how, env) => {
    const { code, output } = await runExample(env())
    expect(code, output).toBe(0)
    expect(output).toContain(GREETING)
  })

  it.skipIf(!language.present)('fails, and prints no config, on a 401', async () => {
    const { code, output } = await runExample({ CONFIG_SIDECAR_TOKEN: 'not-the-token-0123456789' })
    expect(code, output).not.toBe(0)
    expect(output).toContain('401')
    expect(output).not.toContain(GREETING)
  })
})

describe(`${PAGE}: CONFIG_SIDECAR_AUTH=none`, () => {
  it('serves the plain GET of the original app, writes no token file, and says so at start as the page shows', async () => {
    const own = await tempDir('config-sidecar-migrating-none-')
    const open = await spawnSidecar(
      own.path,
      {
        CONFIG_SOURCE: `file:${join(dir.path, 'application.yaml')}`,
        CONFIG_SIDECAR_AUTH: 'none',
        XDG_RUNTIME_DIR: undefined,
      },
      { token: null },
    )
    try {
      const answer = await waitFor(async () => {
        const plain = await rawRequest(`${open.url}/config/`)
        return plain.status === 200 ? plain : undefined
      })
      expect(JSON.parse(answer.body)).toMatchObject({ greeting: GREETING })
      expect((await rawRequest(`${open.url}/status`)).status).toBe(200)
      expect(
        matchLines(open.proc.output().split('\n'), shownLines('CONFIG_SIDECAR_AUTH is none')),
      ).not.toBe(-1)
      expect(
        existsSync(join(own.path, `config-sidecar-${uid}`, `config-sidecar-${open.port}.token`)),
      ).toBe(false)
    } finally {
      await open.stop('SIGKILL')
      await own.remove()
    }
  })
})

describe(`${PAGE}: the demo app beside a sidecar with /config/ alone`, () => {
  it('is ready once /config/ answers, serves that document, sends no token and paints it first', async () => {
    const document = { greeting: 'from a sidecar with /config/ alone', limits: { rpm: 60 } }
    let serving = false
    const seen: { url: string; authorization: string | undefined }[] = []
    // As the original Go sidecar: /config/ (any query) and a 404 for everything else.
    const original = await listen((req, res) => {
      seen.push({ url: req.url ?? '', authorization: req.headers.authorization })
      if (!(req.url ?? '').startsWith('/config/')) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n')
      } else if (!serving) {
        res.writeHead(503).end()
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document))
      }
    })
    const own = await tempDir('config-sidecar-migrating-app-')
    const app = await spawnApp(own.path, original.port)
    try {
      expect((await rawRequest(`${app.url}/readyz`)).status).toBe(503)
      serving = true
      await waitFor(
        async () => ((await rawRequest(`${app.url}/readyz`)).status === 200 ? true : undefined),
        {
          what: "the app's /readyz",
        },
      )
      const config = await rawRequest(`${app.url}/config`)
      expect([config.status, JSON.parse(config.body)]).toEqual([200, document])
      const notes = app.proc
        .output()
        .split('\n')
        .filter((line) =>
          line.includes(
            'the sidecar has no /readyz: the app counts it ready while its /config/ answers 200',
          ),
        )
      expect(notes).toHaveLength(1)
      expect(page).toContain(
        '`the sidecar has no /readyz: the app counts it ready while its /config/ answers 200`',
      )
      const paint = await rawRequest(`${app.url}/`)
      expect(paint.body).toContain('from a sidecar with /config/ alone')
      expect(paint.body).toContain('not confirmed')
      // It asked for the redacted view, which such a sidecar answers with the whole document.
      expect(seen.map((request) => request.url)).toContain('/config/?redact')
      expect(seen.filter((request) => request.authorization !== undefined)).toEqual([])
    } finally {
      await app.proc.stop('SIGKILL')
      await own.remove()
    }
  })
})
