// What changed, with the built processes (dist/push: the sidecar and the demo app, as the platforms
// run them): an upstream changes plain values and secrets with distinctive values (secrets made
// with a key made here), and every output names exactly the changed paths and holds none of the
// values: the `config changed` log line, `lastChange` in /status, the SSE `changes` events (full
// and `?redact`), `GET /changes?since=` (full, redacted and format ETags), `POST /refresh`, the
// on-change command's environment, and the app's relay (`/events`); with Chromium, the page lists
// the change and marks the values at those paths. Assumes the build ran.
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../test-support/files.js'
import { openEventStream } from '../../test-support/http.js'
import type { EventStream, ServerEvent } from '../../test-support/http.js'
import { joseEncrypt, octKey, privateSet, randomSecret } from '../../test-support/jose.js'
import { TOKEN, spawnApp, spawnSidecar } from '../../test-support/processes.js'
import type { Running, SidecarProcess } from '../../test-support/processes.js'
import { json, startUpstream } from '../../test-support/upstream.js'
import type { FakeUpstream } from '../../test-support/upstream.js'
import { waitFor } from '../../test-support/wait.js'

const CHROMIUM = '/usr/bin/chromium'
const browserMissing = !existsSync(CHROMIUM) && process.env['REQUIRE_BROWSER'] !== '1'

const key = octKey('what-changed-e2e', 32)
const secret = async (plaintext: string): Promise<string> =>
  `{jwe}${await joseEncrypt(plaintext, key, 'dir', 'A256GCM')}`

// Distinctive values: none of them may appear in any output of this feature.
const PLAIN = {
  greeting0: randomSecret('plain-greeting-0'),
  greeting1: randomSecret('plain-greeting-1'),
  gone: randomSecret('plain-gone'),
  fresh: randomSecret('plain-fresh'),
}
const SECRET = {
  first: randomSecret('secret-first'),
  second: randomSecret('secret-second'),
  third: randomSecret('secret-third'),
}

/** What the first change names. */
const FIRST = {
  added: ['fresh.key', 'list[2]'],
  removed: ['gone'],
  changed: ['db.password', 'greeting'],
}

let dir: { path: string; remove: () => Promise<void> }
let upstream: FakeUpstream
let sidecar: SidecarProcess
let app: { proc: Running; url: string }
let browser: Browser | undefined
let page: Page | undefined
const streams: EventStream[] = []

/** A kept-open event stream; the function returns what arrived so far, parsed. */
async function follow(
  url: string,
  headers: Record<string, string> = {},
): Promise<() => ServerEvent[]> {
  const stream = await openEventStream(url, { headers })
  streams.push(stream)
  return () => stream.events()
}

const only = (events: ServerEvent[], name: string): ServerEvent[] =>
  events.filter((e) => e.event === name)

/** The runs of the on-change command, as its script wrote them. */
async function hookRuns(): Promise<{ version: string; more: string; keys: string }[]> {
  const text = await readFile(join(dir.path, 'hook.log'), 'utf8').catch(() => '')
  return text
    .split('=====\n')
    .filter(Boolean)
    .map((run) => {
      const [version = '', more = '', ...keys] = run.replace(/\n$/, '').split('\n')
      return { version, more, keys: keys.join('\n') }
    })
}

/** The `config changed` log lines, parsed. */
function changeLines(): Record<string, unknown>[] {
  return sidecar.proc
    .output()
    .split('\n')
    .filter((line) => line.includes('"msg":"config changed"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

const refresh = async (): Promise<Record<string, unknown>> =>
  JSON.parse((await sidecar.get('/refresh', { method: 'POST' })).body) as Record<string, unknown>

const status = async (): Promise<Record<string, unknown>> =>
  JSON.parse((await sidecar.get('/status')).body) as Record<string, unknown>

const changesSince = async (etag: string) => {
  const answer = await sidecar.get(`/changes?since=${encodeURIComponent(etag)}`)
  return { status: answer.status, body: JSON.parse(answer.body) as Record<string, unknown> }
}

/** Fails when any value of the documents is in `text` (`where` names the output). */
function expectNoValue(where: string, text: string): void {
  for (const value of [...Object.values(PLAIN), ...Object.values(SECRET)])
    expect(text.includes(value), `a value (${value.slice(0, 14)}…) is in ${where}`).toBe(false)
}

let upstreamDocument: Record<string, unknown>
let fullStream: () => ServerEvent[]
let redactedStream: () => ServerEvent[]
let appStream: () => ServerEvent[]
/** ETags of views served before the first change. */
const before = { full: '', redacted: '', flat: '' }

beforeAll(async () => {
  dir = await tempDir('config-sidecar-what-changed-')
  upstreamDocument = {
    greeting: PLAIN.greeting0,
    db: { user: 'orders', password: await secret(SECRET.first) },
    list: ['x', 'y'],
    gone: PLAIN.gone,
  }
  upstream = await startUpstream((req, res, body) => json(upstreamDocument)(req, res, body))
  sidecar = await spawnSidecar(dir.path, {
    CONFIG_SOURCE: `${upstream.url}/config`,
    CONFIG_KEYS: privateSet(key),
    // Only POST /refresh takes a change: each step below is one refresh.
    CONFIG_POLL_INTERVAL: '1h',
    CONFIG_ON_CHANGE: `printf '%s\\n%s\\n%s\\n=====\\n' "$CONFIG_VERSION" "\${CONFIG_CHANGED_KEYS_MORE-unset}" "\${CONFIG_CHANGED_KEYS-unset}" >> '${join(dir.path, 'hook.log')}'`,
  })
  await waitFor(async () => ((await sidecar.get('/readyz')).status === 200 ? true : undefined), {
    what: 'the sidecar ready',
  })
  app = await spawnApp(dir.path, sidecar.port, { CONFIG_SIDECAR_TOKEN: TOKEN })
  const auth = { authorization: `Bearer ${TOKEN}` }
  fullStream = await follow(`${sidecar.url}/config/`, auth)
  redactedStream = await follow(`${sidecar.url}/config/?redact`, auth)
  appStream = await follow(`${app.url}/events`)
  if (!browserMissing) {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    })
    page = await browser.newPage()
    await page.goto(app.url)
  }
  await waitFor(
    () =>
      [fullStream, redactedStream, appStream].every((events) => only(events(), 'config').length > 0)
        ? true
        : undefined,
    { what: 'the first config on every stream' },
  )
  before.full = (await sidecar.get('/config/')).headers.etag as string
  before.redacted = (await sidecar.get('/config/?redact')).headers.etag as string
  before.flat = (await sidecar.get('/config/?format=flat')).headers.etag as string
  await waitFor(async () => ((await hookRuns()).length === 1 ? true : undefined), {
    what: 'the first on-change run',
  })
})

afterAll(async () => {
  for (const stream of streams) stream.close()
  await browser?.close()
  await app?.proc.stop()
  await sidecar?.stop()
  await upstream?.close()
  await dir?.remove()
})

describe('what changed, in the built sidecar and app', () => {
  it('says nothing of a change before the first one: no changes event, no lastChange, no keys for the first on-change run', async () => {
    expect(only(fullStream(), 'changes')).toEqual([])
    expect(only(appStream(), 'changes')).toEqual([])
    expect((await status())['lastChange']).toBeNull()
    expect(await hookRuns()).toEqual([
      { version: expect.any(String), more: 'unset', keys: 'unset' },
    ])
  })

  it('a change of plain values and a secret: every output names exactly its paths, and no value', async () => {
    const version0 = (await status())['version']
    upstreamDocument = {
      greeting: PLAIN.greeting1,
      db: { user: 'orders', password: await secret(SECRET.second) },
      list: ['x', 'y', 'z'],
      fresh: { key: PLAIN.fresh },
    }
    const answer = await refresh()
    expect(answer).toMatchObject({
      outcome: 'changed',
      keys: ['db.password', 'fresh.key', 'gone', 'greeting', 'list[2]'],
    })
    const version1 = answer['version'] as string

    // The SSE streams: `changes` just before the new `config`, with that view's ETags.
    await waitFor(() => (only(redactedStream(), 'config').length === 2 ? true : undefined))
    await waitFor(() => (only(fullStream(), 'config').length === 2 ? true : undefined))
    for (const [events, view] of [
      [fullStream(), '/config/'],
      [redactedStream(), '/config/?redact'],
    ] as const) {
      const [first, changes, second] = events
      expect([first!.event, changes!.event, second!.event]).toEqual(['config', 'changes', 'config'])
      expect(JSON.parse(changes!.data)).toEqual({ from: first!.id, to: second!.id, ...FIRST })
      expect(second!.id).toBe((await sidecar.get(view)).headers.etag)
      expectNoValue(`the changes event of ${view}`, changes!.data)
    }

    // The app's relay passes the redacted stream's event on, as it came, before the config.
    await waitFor(() => (only(appStream(), 'config').length === 2 ? true : undefined))
    const relayed = appStream().filter((event) => event.event !== 'status')
    expect(relayed.map((event) => event.event)).toEqual(['config', 'changes', 'config'])
    expect(relayed[1]!.data).toBe(only(redactedStream(), 'changes')[0]!.data)

    // The log line and /status: the lists, both versions, the time.
    const line = changeLines().at(-1)!
    expect(line).toMatchObject({
      version: version1,
      previousVersion: version0,
      added: FIRST.added.join(','),
      removed: FIRST.removed.join(','),
      changed: FIRST.changed.join(','),
      more: 0,
    })
    const lastChange = (await status())['lastChange']
    expect(lastChange).toEqual({
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      fromVersion: version0,
      toVersion: version1,
      ...FIRST,
      more: 0,
    })

    // The on-change command's environment.
    const runs = await waitFor(async () => {
      const all = await hookRuns()
      return all.length === 2 ? all : undefined
    })
    expect(runs[1]).toEqual({
      version: version1,
      more: '0',
      keys: 'db.password\nfresh.key\ngone\ngreeting\nlist[2]',
    })

    // The page: the change listed, and exactly the values at its added and changed paths marked.
    if (page !== undefined) {
      await page.waitForFunction(() => document.querySelectorAll('#config mark').length > 0)
      const marked = await page.$$eval('#config mark', (marks) => marks.map((m) => m.textContent))
      expect(marked.sort()).toEqual(
        ['"[redacted]"', `"${PLAIN.fresh}"`, `"${PLAIN.greeting1}"`, '"z"'].sort(),
      )
      const item = await page.locator('#changes li').first().textContent()
      expect(item).toContain(
        'changed db.password, greeting; added fresh.key, list[2]; removed gone',
      )
      // The document shown is the redacted view, as JSON.stringify writes it.
      const shown = await page.locator('#config').textContent()
      expect(shown).toBe(
        JSON.stringify(JSON.parse((await sidecar.get('/config/?redact')).body), null, 2),
      )
      expectNoValue("the page's list", (await page.locator('#changes').textContent()) ?? '')
      const html = await page.content()
      for (const value of Object.values(SECRET)) expect(html).not.toContain(value)
    }

    for (const [where, text] of [
      ['POST /refresh', JSON.stringify(answer)],
      ['the log line', JSON.stringify(line)],
      ['/status lastChange', JSON.stringify(lastChange)],
      ['the on-change environment', await readFile(join(dir.path, 'hook.log'), 'utf8')],
      ['the relayed event', relayed[1]!.data],
    ] as const)
      expectNoValue(where, text)
  })

  it('a secret encrypted again to the same value: no change anywhere', async () => {
    const lastChange = (await status())['lastChange']
    const events = [fullStream().length, redactedStream().length, appStream().length]
    upstreamDocument = {
      ...upstreamDocument,
      db: { user: 'orders', password: await secret(SECRET.second) },
    }
    const answer = await refresh()
    expect(answer).toMatchObject({ outcome: 'unchanged' })
    expect(answer).not.toHaveProperty('keys')
    expect((await status())['lastChange']).toEqual(lastChange)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect([fullStream().length, redactedStream().length]).toEqual(events.slice(0, 2))
    expect(only(appStream(), 'changes')).toHaveLength(1)
    expect(await hookRuns()).toHaveLength(2)
    expect(changeLines()).toHaveLength(2)
  })

  it('a new secret value alone: named as changed, on the full stream only (the redacted bytes do not move)', async () => {
    upstreamDocument = {
      ...upstreamDocument,
      db: { user: 'orders', password: await secret(SECRET.third) },
    }
    const answer = await refresh()
    expect(answer).toMatchObject({ outcome: 'changed', keys: ['db.password'] })
    await waitFor(() => (only(fullStream(), 'config').length === 3 ? true : undefined))
    const changes = only(fullStream(), 'changes')
    expect(JSON.parse(changes[1]!.data)).toMatchObject({
      added: [],
      removed: [],
      changed: ['db.password'],
    })
    expect(only(redactedStream(), 'changes')).toHaveLength(1)
    const runs = await waitFor(async () => {
      const all = await hookRuns()
      return all.length === 3 ? all : undefined
    })
    expect(runs[2]).toMatchObject({ more: '0', keys: 'db.password' })
    expect(changeLines().at(-1)).toMatchObject({ added: '', removed: '', changed: 'db.password' })
    expect((await status())['lastChange']).toMatchObject({ changed: ['db.password'] })
    expectNoValue('the log', sidecar.proc.output())
    expectNoValue('/status', (await sidecar.get('/status')).body)
  })

  it('GET /changes?since= names every path since an ETag of any view, and 410 for one it does not know', async () => {
    const all = ['db.password', 'fresh.key', 'gone', 'greeting', 'list[2]']
    for (const [since, view] of [
      [before.full, '/config/'],
      [before.redacted, '/config/?redact'],
      [before.flat, '/config/?format=flat'],
    ] as const) {
      const answer = await changesSince(since)
      expect(answer.status).toBe(200)
      expect(answer.body).toEqual({
        from: since,
        to: (await sidecar.get(view)).headers.etag,
        keys: all,
      })
      expectNoValue(`GET /changes (${view})`, JSON.stringify(answer.body))
    }
    // The redacted view has not moved since the first change, though a secret has.
    const redactedNow = (await sidecar.get('/config/?redact')).headers.etag as string
    expect((await changesSince(redactedNow)).body['keys']).toEqual(['db.password'])
    const fullNow = (await sidecar.get('/config/')).headers.etag as string
    expect((await changesSince(fullNow)).body).toEqual({ from: fullNow, to: fullNow, keys: [] })
    const unknown = await changesSince('"not-an-etag-of-this-process"')
    expect(unknown.status).toBe(410)
    expect(unknown.body).toMatchObject({ error: { code: 'ERR_CHANGES_UNKNOWN_ETAG' } })
    expect(
      (await sidecar.get('/changes?since=x', { headers: { authorization: 'Bearer no' } })).status,
    ).toBe(401)
  })
})
