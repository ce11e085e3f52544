// What changed, over HTTP, in process: the SSE `changes` event (full, `?redact` and sub-path
// streams), `GET /changes?since=` (any view's ETag, 410 past the history, the local-caller rules),
// `POST /refresh` with the keys, `lastChange` in /status and the `config changed` log line, each
// naming paths only. Secrets are real JWEs made with a key made here.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../../../test-support/files.js'
import { openEventStream } from '../../../../test-support/http.js'
import type { EventStream } from '../../../../test-support/http.js'
import { startInProcessSidecar } from '../../../../test-support/in-process-sidecar.js'
import type { InProcessSidecar } from '../../../../test-support/in-process-sidecar.js'
import { joseEncrypt, octKey, privateSet, randomSecret } from '../../../../test-support/jose.js'
import { startUpstream } from '../../../../test-support/upstream.js'
import type { FakeUpstream } from '../../../../test-support/upstream.js'
import { waitFor } from '../../../../test-support/wait.js'
import { createServedConfig } from '../../src/state/served-config.js'

const key = octKey('what-changed', 32)
const secret = async (plaintext: string): Promise<string> =>
  `{jwe}${await joseEncrypt(plaintext, key, 'dir', 'A256GCM')}`

let dir: { path: string; remove: () => Promise<void> }
let sidecar: InProcessSidecar | undefined
let file: string
let upstream: FakeUpstream | undefined
const open: (() => void)[] = []

beforeEach(async () => {
  dir = await tempDir()
  file = join(dir.path, 'config.json')
})
afterEach(async () => {
  for (const close of open.splice(0)) close()
  await sidecar?.stop()
  sidecar = undefined
  await upstream?.close()
  upstream = undefined
  await dir.remove()
})

async function start(document: unknown): Promise<InProcessSidecar> {
  await writeFile(file, JSON.stringify(document))
  sidecar = await startInProcessSidecar({
    CONFIG_SOURCE: `file:${file}`,
    CONFIG_KEYS: privateSet(key),
    CONFIG_POLL_INTERVAL: '200ms',
  })
  await sidecar.firstRefresh
  return sidecar
}

/** Writes a new document and waits until the sidecar serves it (a new version). */
async function change(document: unknown): Promise<void> {
  const before = sidecar!.sidecar.store.current()!.version
  await writeFile(file, JSON.stringify(document))
  await waitFor(() => (sidecar!.sidecar.store.current()!.version !== before ? true : undefined), {
    what: 'the new version',
  })
}

/** An event stream kept open (closed after the test). */
async function follow(path: string): Promise<EventStream> {
  const stream = await openEventStream(`${sidecar!.url}${path}`, {
    headers: { authorization: `Bearer ${sidecar!.token!}` },
  })
  open.push(() => stream.close())
  return stream
}

const json = async (response: Response): Promise<Record<string, unknown>> =>
  (await response.json()) as Record<string, unknown>

describe('the changes event', () => {
  it('comes before each config event after the first, with both ETags of the view and the paths', async () => {
    await start({ greeting: 'hello', list: [1, 2], gone: true })
    const stream = await follow('/config/')
    await waitFor(() => (stream.events().length === 1 ? true : undefined))
    const first = stream.events()[0]!
    expect(first.event).toBe('config')
    await change({ greeting: 'hi', list: [1, 2, 3], fresh: { a: null } })
    await waitFor(() => (stream.events().length === 3 ? true : undefined))
    const [, changes, config] = stream.events()
    expect(changes!.event).toBe('changes')
    expect(config!.event).toBe('config')
    expect(JSON.parse(changes!.data)).toEqual({
      from: first.id,
      to: config!.id,
      added: ['fresh.a', 'list[2]'],
      removed: ['gone'],
      changed: ['greeting'],
    })
  })

  it('on ?redact: says nothing while only a secret changes, then names it with the next change, under the redacted ETags', async () => {
    const first = randomSecret('first')
    const second = randomSecret('second')
    await start({ plain: 1, db: { password: await secret(first) } })
    const stream = await follow('/config/?redact')
    await waitFor(() => (stream.events().length === 1 ? true : undefined))
    // Encrypted again to the same value: the same config, no event at all.
    await change({ plain: 1, db: { password: await secret(first) } })
    await change({ plain: 1, db: { password: await secret(second) } })
    expect(stream.events()).toHaveLength(1)
    await change({ plain: 2, db: { password: await secret(second) } })
    await waitFor(() => (stream.events().length === 3 ? true : undefined))
    const changes = JSON.parse(stream.events()[1]!.data) as Record<string, unknown>
    expect(changes).toEqual({
      from: stream.events()[0]!.id,
      to: stream.events()[2]!.id,
      added: [],
      removed: [],
      changed: ['db.password', 'plain'],
    })
    expect(changes['to']).toBe(sidecar!.sidecar.store.current()!.redacted().etag)
    for (const event of stream.events()) {
      expect(event.data).not.toContain(first)
      expect(event.data).not.toContain(second)
    }
  })

  it('on a sub-path stream: only the paths at or below it, written from the top', async () => {
    await start({ a: { list: [{ x: 1 }, { x: 2 }] }, b: 1 })
    const stream = await follow('/config/a/list/1')
    await waitFor(() => (stream.events().length === 1 ? true : undefined))
    await change({ a: { list: [{ x: 1 }, { x: 3, y: 4 }] }, b: 2 })
    await waitFor(() => (stream.events().length === 3 ? true : undefined))
    expect(JSON.parse(stream.events()[1]!.data)).toMatchObject({
      added: ['a.list[1].y'],
      removed: [],
      changed: ['a.list[1].x'],
    })
  })
})

describe('GET /changes?since=', () => {
  it('names every path changed since an ETag of the full, redacted or a format view; `to` is that view now', async () => {
    await start({ a: 1, b: 1, s: await secret('s1') })
    const full = (await sidecar!.get('/config/')).headers.get('etag')!
    const redacted = (await sidecar!.get('/config/?redact')).headers.get('etag')!
    const flat = (await sidecar!.get('/config/?format=flat&redact')).headers.get('etag')!
    await change({ a: 2, b: 1, s: await secret('s1') })
    await change({ a: 2, b: 1, c: 3, s: await secret('s2') })
    for (const [since, view] of [
      [full, '/config/'],
      [redacted, '/config/?redact'],
      [flat, '/config/?format=flat&redact'],
    ] as const) {
      const answer = await sidecar!.get(`/changes?since=${encodeURIComponent(since)}`)
      expect(answer.status).toBe(200)
      expect(answer.headers.get('etag')).toBeNull()
      expect(await json(answer)).toEqual({
        from: since,
        to: (await sidecar!.get(view)).headers.get('etag'),
        keys: ['a', 'c', 's'],
      })
    }
    // The ETag served now: nothing since; bare (unquoted) ETags are read too.
    const now = (await sidecar!.get('/config/')).headers.get('etag')!
    expect(await json(await sidecar!.get(`/changes?since=${now.slice(1, -1)}`))).toEqual({
      from: now,
      to: now,
      keys: [],
    })
  })

  it('answers 410 with a JSON error for an ETag it does not know, and 400 without one', async () => {
    await start({ a: 1 })
    const unknown = await sidecar!.get('/changes?since=%22not-an-etag%22')
    expect(unknown.status).toBe(410)
    expect(await json(unknown)).toMatchObject({ error: { code: 'ERR_CHANGES_UNKNOWN_ETAG' } })
    const missing = await sidecar!.get('/changes')
    expect(missing.status).toBe(400)
    expect(await json(missing)).toMatchObject({ error: { code: 'ERR_BAD_REQUEST' } })
  })

  it('forgets an ETag older than the last 32 changes', async () => {
    await start({ n: 0 })
    const oldest = (await sidecar!.get('/config/')).headers.get('etag')!
    // 32 more changes straight into the store (the file source would take a few seconds).
    const accept = (n: number): void =>
      void sidecar!.sidecar.store.accept(
        createServedConfig({ document: { n }, secretPaths: [], version: `v${n}` }),
      )
    for (let n = 1; n <= 32; n += 1) accept(n)
    const kept = await sidecar!.get(`/changes?since=${encodeURIComponent(oldest)}`)
    expect(await json(kept)).toMatchObject({ keys: ['n'] })
    accept(33)
    expect((await sidecar!.get(`/changes?since=${encodeURIComponent(oldest)}`)).status).toBe(410)
  })

  it('needs the token, takes GET and HEAD only', async () => {
    await start({ a: 1 })
    const since = encodeURIComponent((await sidecar!.get('/config/')).headers.get('etag')!)
    const anonymous = await fetch(`${sidecar!.url}/changes?since=${since}`)
    expect(anonymous.status).toBe(401)
    expect((await sidecar!.get(`/changes?since=${since}`, { method: 'POST' })).status).toBe(405)
    const head = await sidecar!.get(`/changes?since=${since}`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
  })
})

describe('POST /refresh, /status and the log', () => {
  it('answer with the keys that changed, and no value', async () => {
    // An HTTP source polled once an hour: only POST /refresh takes the new document.
    let document: unknown = { a: 1, s: await secret('old') }
    upstream = await startUpstream((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document)),
    )
    sidecar = await startInProcessSidecar({
      CONFIG_SOURCE: `${upstream.url}/config`,
      CONFIG_KEYS: privateSet(key),
      CONFIG_POLL_INTERVAL: '1h',
    })
    await sidecar.firstRefresh
    const value = randomSecret('refresh')
    document = { a: 1, b: 2, s: await secret(value) }
    const changed = await json(await sidecar.get('/refresh', { method: 'POST' }))
    expect(changed).toMatchObject({ outcome: 'changed', keys: ['b', 's'] })
    // The same values, the secret encrypted again: unchanged, and no keys.
    document = { a: 1, b: 2, s: await secret(value) }
    const unchanged = await json(await sidecar.get('/refresh', { method: 'POST' }))
    expect(unchanged).toMatchObject({ outcome: 'unchanged' })
    expect(unchanged).not.toHaveProperty('keys')
    document = { c: 1, s: await secret(value) }
    expect(await json(await sidecar.get('/refresh', { method: 'POST' }))).toMatchObject({
      outcome: 'changed',
      keys: ['a', 'b', 'c'],
    })
    const status = await json(await sidecar.get('/status'))
    expect(status['lastChange']).toEqual({
      at: expect.any(String),
      fromVersion: expect.any(String),
      toVersion: status['version'],
      added: ['c'],
      removed: ['a', 'b'],
      changed: [],
      more: 0,
    })
    const logged = sidecar.logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line['msg'] === 'config changed')
    expect(logged.map(({ added, removed, changed }) => ({ added, removed, changed }))).toEqual([
      { added: undefined, removed: undefined, changed: undefined },
      { added: 'b', removed: '', changed: 's' },
      { added: 'c', removed: 'a,b', changed: '' },
    ])
    for (const text of [JSON.stringify(status), sidecar.logs.join('\n')])
      expect(text).not.toContain(value)
  })

  it('list at most 100 paths in /status and the log, and say how many more', async () => {
    await start({ a: 1 })
    await change(Object.fromEntries(Array.from({ length: 150 }, (_, n) => [`k${n}`, n])))
    const status = await json(await sidecar!.get('/status'))
    const last = status['lastChange'] as Record<string, unknown[]>
    expect(last['added']!.length + last['removed']!.length).toBe(100)
    expect(last['more']).toBe(51)
    const line = await waitFor(() =>
      sidecar!.logs.find((entry) => entry.includes('"config changed"') && entry.includes('"k0')),
    )
    const logged = JSON.parse(line) as Record<string, string | number>
    expect(String(logged['added']).split(',')).toHaveLength(100)
    expect(logged['more']).toBe(51)
  })
})
