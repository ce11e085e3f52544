// One-shot mode called in-process (`runOnce`, what main.ts calls for `once`), so that mutation
// testing sees it. Settings come from loadSettings as main.ts reads them; the upstream is a file or a
// real HTTP server on port 0; keys are made at test time. Exit 0: config fetched, every secret
// decrypted, snapshot (mode 0600) and CONFIG_WRITE_FILE files written, CONFIG_ON_CHANGE waited for,
// one info line. Anything else: exit 1 and one error line with the code and the reason.
import { existsSync } from 'node:fs'
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../../../test-support/files.js'
import { recordingLogger } from '../../../../test-support/logs.js'
import { startUpstream } from '../../../../test-support/upstream.js'
import type { FakeUpstream } from '../../../../test-support/upstream.js'
import { runOnce } from '../../src/cli/one-shot.js'
import { encryptSecret, generateKeySet } from '../../src/document/crypto/index.js'
import { loadSettings } from '../../src/settings/settings.js'
import type { Settings } from '../../src/settings/settings.js'

const DEMO_KEYS = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  '..',
  'samples',
  'demo-only.private.jwks.json',
)

let root: { path: string; remove: () => Promise<void> }
let keysPath: string
let publicKeys: string
let upstream: FakeUpstream
/** A fresh directory per test, under `root`. */
let work: string
let counter = 0

beforeAll(async () => {
  root = await tempDir('config-sidecar-one-shot-')
  const keys = await generateKeySet('ec', 'once-kid')
  keysPath = join(root.path, 'keys.private.jwks.json')
  await writeFile(keysPath, JSON.stringify(keys.privateJwks), { mode: 0o600 })
  publicKeys = JSON.stringify(keys.publicJwks)
  upstream = await startUpstream()
})
afterAll(async () => {
  await upstream.close()
  await root.remove()
})
beforeEach(async () => {
  counter += 1
  work = join(root.path, `case-${counter}`)
  await mkdir(work)
})
afterEach(() => {
  upstream.handle((_req, res) => res.writeHead(404).end())
})

/** Settings as main.ts loads them, from these CONFIG_* variables (CONFIG_CACHE_DIR in `work`). */
function settingsOf(env: Record<string, string>): Settings {
  return loadSettings(
    { CONFIG_CACHE_DIR: join(work, 'cache'), ...env },
    { tmpDir: work, cwd: work },
  ).settings
}

async function once(
  settings: Settings,
): Promise<{ code: number; lines: Record<string, unknown>[]; text: string }> {
  const { logger, lines, text } = recordingLogger()
  const code = await runOnce(settings, logger)
  return { code, lines, text: text() }
}

/** The log lines without their time, and durationMs checked and dropped. */
function withoutTimes(lines: Record<string, unknown>[]): Record<string, unknown>[] {
  return lines.map(({ time, durationMs, ...rest }) => {
    expect(typeof time).toBe('string')
    if (durationMs !== undefined) {
      expect(typeof durationMs).toBe('number')
      expect(durationMs).toBeGreaterThanOrEqual(0)
      expect(durationMs).toBeLessThan(30_000)
    }
    return rest
  })
}

async function fileSource(name: string, content: string): Promise<string> {
  const path = join(work, name)
  await writeFile(path, content)
  return path
}

describe('runOnce (in-process): success', () => {
  it('file source, no keys, no files: exit 0, the snapshot 0600, one info line', async () => {
    const source = await fileSource('application.yaml', 'greeting: hello\nlimits:\n  rpm: 600\n')
    const settings = settingsOf({ CONFIG_SOURCE: `file:${source}` })
    const { code, lines } = await once(settings)
    expect(code).toBe(0)
    const names = await readdir(settings.cacheDir)
    expect(names).toHaveLength(1)
    expect(names[0]).toMatch(/^snapshot-[0-9a-f]{16}\.json$/)
    const snapshot = join(settings.cacheDir, names[0]!)
    expect((await stat(snapshot)).mode & 0o777).toBe(0o600)
    const written = JSON.parse(await readFile(snapshot, 'utf8')) as {
      source: string
      documents: { file: string; body: string }[]
    }
    expect(written.source).toBe(`file:${source}`)
    expect(written.documents).toMatchObject([
      { file: source, body: await readFile(source, 'utf8') },
    ])
    const stripped = withoutTimes(lines)
    expect(stripped).toEqual([
      {
        level: 'info',
        msg: 'one-shot refresh done: config verified and snapshot written',
        source: `file:${source}`,
        version: expect.stringMatching(/^[\w-]+$/) as unknown,
        secrets: 0,
        snapshot,
      },
    ])
    expect(lines[0]).toHaveProperty('durationMs')
  })

  it('decrypts every secret, keeps them encrypted in the snapshot, writes every file 0600', async () => {
    const password = `pw-${counter}-${Date.now()}`
    const secret = await encryptSecret(publicKeys, password)
    const token = await encryptSecret(publicKeys, 'another')
    const source = await fileSource(
      'application.yaml',
      `database:\n  user: app\n  password: '${secret}'\napi:\n  token: '${token}'\n`,
    )
    const out = join(work, 'out')
    await mkdir(out)
    const json = join(out, 'config.json')
    const env = join(out, 'config.env')
    const settings = settingsOf({
      CONFIG_SOURCE: `file:${source}`,
      CONFIG_KEYS: `file:${keysPath}`,
      CONFIG_WRITE_FILE: `${json},${env}`,
    })
    const { code, lines, text } = await once(settings)
    expect(code, text).toBe(0)
    expect(text).not.toContain(password)
    const [snapshotName] = await readdir(settings.cacheDir)
    const snapshot = join(settings.cacheDir, snapshotName!)
    const snapshotText = await readFile(snapshot, 'utf8')
    expect(snapshotText).toContain(secret.slice(0, 40))
    expect(snapshotText).not.toContain(password)
    expect(JSON.parse(await readFile(json, 'utf8'))).toEqual({
      database: { user: 'app', password },
      api: { token: 'another' },
    })
    expect(await readFile(env, 'utf8')).toContain('DATABASE_USER=')
    for (const path of [json, env]) expect((await stat(path)).mode & 0o777).toBe(0o600)
    const stripped = withoutTimes(lines)
    expect(stripped.map((line) => line['msg'])).toEqual([
      'config files written',
      'one-shot refresh done: config verified and snapshot written',
    ])
    expect(stripped[1]).toEqual({
      level: 'info',
      msg: 'one-shot refresh done: config verified and snapshot written',
      source: `file:${source}`,
      version: expect.any(String) as unknown,
      secrets: 2,
      snapshot,
      files: `${json},${env}`,
    })
  })

  it('warns, as serving does, when CONFIG_KEYS holds the shipped demo key', async () => {
    const source = await fileSource('application.yaml', 'greeting: hi\n')
    const { code, lines } = await once(
      settingsOf({ CONFIG_SOURCE: `file:${source}`, CONFIG_KEYS: `file:${DEMO_KEYS}` }),
    )
    expect(code).toBe(0)
    expect(lines.map((line) => [line['level'], line['msg']])).toEqual([
      ['warn', 'CONFIG_KEYS holds the shipped demo key, which is public'],
      ['info', 'one-shot refresh done: config verified and snapshot written'],
    ])
    expect(lines[0]).toMatchObject({ kids: 'demo-only-rsa-2026,demo-only-ec-2026' })
  })

  it('fetches an HTTP upstream unconditionally and logs each document notice', async () => {
    const long = 'v'.repeat(201)
    upstream.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-config-version': long })
      res.end(JSON.stringify({ greeting: 'from http' }))
    })
    const url = `${upstream.url}/app/default`
    const before = upstream.requests.length
    const settings = settingsOf({ CONFIG_SOURCE: url })
    const { code, lines, text } = await once(settings)
    expect(code, text).toBe(0)
    const requests = upstream.requests.slice(before)
    expect(requests).toHaveLength(1)
    expect(requests[0]!.headers['if-none-match']).toBeUndefined()
    const stripped = withoutTimes(lines)
    expect(stripped).toHaveLength(2)
    expect(stripped[0]).toEqual({
      level: 'warn',
      msg: 'upstream document notice',
      source: url,
      notice: `the version in the X-Config-Version header of ${url} is 201 characters long (at most 200): it is not used as X-Config-Version; a hash of the bytes as fetched stands in`,
    })
    expect(stripped[1]).toMatchObject({
      level: 'info',
      msg: 'one-shot refresh done: config verified and snapshot written',
      source: url,
      secrets: 0,
    })
    expect(stripped[1]!['version']).not.toBe(long)
    expect(existsSync(stripped[1]!['snapshot'] as string)).toBe(true)
  })

  it('runs CONFIG_ON_CHANGE without files and waits for it; files is then empty', async () => {
    const source = await fileSource('application.yaml', 'greeting: hi\n')
    const marker = join(work, 'marker')
    const settings = settingsOf({
      CONFIG_SOURCE: `file:${source}`,
      CONFIG_ON_CHANGE: `sleep 0.3; printf done > '${marker}'`,
    })
    const { code, lines, text } = await once(settings)
    expect(code, text).toBe(0)
    // Waited for: the command had finished when runOnce resolved.
    expect(await readFile(marker, 'utf8')).toBe('done')
    const done = lines.find(
      (line) => line['msg'] === 'one-shot refresh done: config verified and snapshot written',
    )
    expect(done).toMatchObject({ files: '' })
  })

  it('runs CONFIG_ON_CHANGE after the files, and a failing command is not fatal', async () => {
    const source = await fileSource('application.yaml', 'greeting: hi\n')
    const file = join(work, 'config.yaml')
    const marker = join(work, 'marker')
    const settings = settingsOf({
      CONFIG_SOURCE: `file:${source}`,
      CONFIG_WRITE_FILE: file,
      CONFIG_ON_CHANGE: `sleep 0.2; cat '${file}' > '${marker}'; exit 3`,
    })
    const { code, lines, text } = await once(settings)
    expect(code, text).toBe(0)
    expect(await readFile(marker, 'utf8')).toBe(await readFile(file, 'utf8'))
    expect(await readFile(file, 'utf8')).toContain('greeting')
    expect(lines.some((line) => line['level'] === 'error' || line['level'] === 'warn')).toBe(true)
    expect(lines.at(-1)).toMatchObject({
      level: 'info',
      msg: 'one-shot refresh done: config verified and snapshot written',
      files: file,
    })
  })
})

describe('runOnce (in-process): failures', () => {
  it('an upstream that answers 304 to an unconditional request: ERR_UPSTREAM_HTTP_STATUS', async () => {
    // The HTTP source refuses this itself; runOnce's own check stays behind it as a safeguard.
    upstream.handle((_req, res) => res.writeHead(304, { etag: '"x"' }).end())
    const url = `${upstream.url}/app/default`
    const settings = settingsOf({ CONFIG_SOURCE: url })
    const { code, lines } = await once(settings)
    expect(code).toBe(1)
    expect(withoutTimes(lines)).toEqual([
      {
        level: 'error',
        msg: 'one-shot refresh failed',
        code: 'ERR_UPSTREAM_HTTP_STATUS',
        reason: `${url} answered 304 to an unconditional request`,
      },
    ])
    expect(existsSync(settings.cacheDir)).toBe(false)
  })

  it('a file CONFIG_WRITE_FILE cannot hold: ERR_DOCUMENT_INVALID, nothing written', async () => {
    const source = await fileSource('application.json', JSON.stringify({ x: 'a\u0000b' }))
    const out = join(work, 'config.env')
    const settings = settingsOf({ CONFIG_SOURCE: `file:${source}`, CONFIG_WRITE_FILE: out })
    const { code, lines } = await once(settings)
    expect(code).toBe(1)
    expect(withoutTimes(lines)).toEqual([
      {
        level: 'error',
        msg: 'one-shot refresh failed',
        code: 'ERR_DOCUMENT_INVALID',
        reason: `${out} (CONFIG_WRITE_FILE): the value at x holds a NUL character, which .env cannot hold`,
      },
    ])
    expect(existsSync(out)).toBe(false)
    expect(existsSync(settings.cacheDir)).toBe(false)
  })

  it('checks the files against the full view: a decrypted value .env cannot hold is refused first', async () => {
    // Redacted, the secret would fit; decrypted, it holds a NUL.
    const secret = await encryptSecret(publicKeys, 'a\u0000b')
    const source = await fileSource('application.yaml', `db:\n  pw: '${secret}'\n`)
    const out = join(work, 'config.env')
    const settings = settingsOf({
      CONFIG_SOURCE: `file:${source}`,
      CONFIG_KEYS: `file:${keysPath}`,
      CONFIG_WRITE_FILE: out,
    })
    const { code, lines } = await once(settings)
    expect(code).toBe(1)
    expect(withoutTimes(lines)).toEqual([
      {
        level: 'error',
        msg: 'one-shot refresh failed',
        code: 'ERR_DOCUMENT_INVALID',
        reason: `${out} (CONFIG_WRITE_FILE): the value at db.pw holds a NUL character, which .env cannot hold`,
      },
    ])
    expect(existsSync(settings.cacheDir)).toBe(false)
    expect(existsSync(out)).toBe(false)
  })

  it('a second file that cannot hold it stops the first one being written too', async () => {
    const source = await fileSource('application.json', JSON.stringify({ x: 'a\u0000b' }))
    const first = join(work, 'config.json')
    const second = join(work, 'config.env')
    const settings = settingsOf({
      CONFIG_SOURCE: `file:${source}`,
      CONFIG_WRITE_FILE: `${first},${second}`,
    })
    const { code, lines } = await once(settings)
    expect(code).toBe(1)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ code: 'ERR_DOCUMENT_INVALID' })
    expect(existsSync(first)).toBe(false)
  })

  it('a snapshot that cannot be written names CONFIG_CACHE_DIR and the fs error code', async () => {
    const source = await fileSource('application.yaml', 'greeting: hi\n')
    const cacheDir = join(source, 'cache')
    const settings = settingsOf({ CONFIG_SOURCE: `file:${source}`, CONFIG_CACHE_DIR: cacheDir })
    const { code, lines } = await once(settings)
    expect(code).toBe(1)
    expect(withoutTimes(lines)).toEqual([
      {
        level: 'error',
        msg: 'one-shot refresh failed',
        code: 'ERR_INTERNAL',
        reason: `the snapshot cannot be written to ${cacheDir} (CONFIG_CACHE_DIR): ENOTDIR`,
      },
    ])
  })

  it('a file that cannot be written: ERR_INTERNAL naming it and CONFIG_WRITE_FILE', async () => {
    const source = await fileSource('application.yaml', 'greeting: hi\n')
    const out = join(work, 'out')
    await mkdir(out)
    const file = join(out, 'config.json')
    const settings = settingsOf({ CONFIG_SOURCE: `file:${source}`, CONFIG_WRITE_FILE: file })
    // The directory checked when the settings were read is a regular file by the time of writing
    // (the atomic write makes missing directories, and finds this one taken: EEXIST).
    await rm(out, { recursive: true })
    await writeFile(out, 'not a directory\n')
    const { code, lines } = await once(settings)
    expect(code).toBe(1)
    const stripped = withoutTimes(lines)
    const failure = stripped.at(-1)!
    expect(failure).toMatchObject({
      level: 'error',
      msg: 'one-shot refresh failed',
      code: 'ERR_INTERNAL',
    })
    expect(failure).toEqual({
      level: 'error',
      msg: 'one-shot refresh failed',
      code: 'ERR_INTERNAL',
      reason: `cannot write ${file}: EEXIST (CONFIG_WRITE_FILE)`,
    })
    // The snapshot was written before the files.
    expect(await readdir(settings.cacheDir)).toHaveLength(1)
  })

  it('when a file cannot be written, stops: CONFIG_ON_CHANGE started for the other file is killed', async () => {
    const source = await fileSource('application.yaml', 'greeting: hi\n')
    const good = join(work, 'config.json')
    const out = join(work, 'out')
    await mkdir(out)
    const bad = join(out, 'config.yaml')
    const marker = join(work, 'marker')
    const settings = settingsOf({
      CONFIG_SOURCE: `file:${source}`,
      CONFIG_WRITE_FILE: `${good},${bad}`,
      CONFIG_ON_CHANGE: `sleep 0.6; printf ran > '${marker}'`,
    })
    await rm(out, { recursive: true })
    await writeFile(out, 'not a directory\n')
    const { code, lines } = await once(settings)
    expect(code).toBe(1)
    expect(lines.at(-1)).toMatchObject({
      level: 'error',
      msg: 'one-shot refresh failed',
      code: 'ERR_INTERNAL',
      reason: `cannot write ${bad}: EEXIST (CONFIG_WRITE_FILE)`,
    })
    expect(JSON.parse(await readFile(good, 'utf8'))).toEqual({ greeting: 'hi' })
    // Nothing runs on after runOnce: the command was killed, no retry writes later.
    await new Promise((resolve) => setTimeout(resolve, 1200))
    expect(existsSync(marker)).toBe(false)
  })

  it('a secret that does not decrypt: the code and the key path, never the value', async () => {
    const other = await generateKeySet('ec', 'once-kid')
    const secret = await encryptSecret(JSON.stringify(other.publicJwks), 'never-logged-value')
    const source = await fileSource('application.yaml', `database:\n  password: '${secret}'\n`)
    const settings = settingsOf({
      CONFIG_SOURCE: `file:${source}`,
      CONFIG_KEYS: `file:${keysPath}`,
    })
    const { code, lines, text } = await once(settings)
    expect(code).toBe(1)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({
      level: 'error',
      msg: 'one-shot refresh failed',
      code: 'ERR_SECRET_DECRYPTION_FAILED',
    })
    expect(String(lines[0]!['reason'])).toContain('database.password')
    expect(text).not.toContain('never-logged-value')
    expect(existsSync(settings.cacheDir)).toBe(false)
  })

  it('CONFIG_KEYS naming a missing file: ERR_SECRET_NO_KEYS, before fetching', async () => {
    const before = upstream.requests.length
    const settings = settingsOf({
      CONFIG_SOURCE: `${upstream.url}/x`,
      CONFIG_KEYS: `file:${join(work, 'absent.jwks.json')}`,
    })
    const { code, lines } = await once(settings)
    expect(code).toBe(1)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: 'error', code: 'ERR_SECRET_NO_KEYS' })
    expect(String(lines[0]!['reason'])).toMatch(/absent\.jwks\.json.*ENOENT/)
    expect(upstream.requests.length).toBe(before)
  })
})
