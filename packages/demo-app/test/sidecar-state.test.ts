// What the app says about the sidecar beside it (src/sidecar-state.ts), against a sidecar on a real
// port whose answers each test sets: the status the page shows (reach, version, stale and why, the
// demo key), the fallbacks for a sidecar without /status or /readyz, and one that does not answer.
import { describe, expect, it } from 'vitest'
import { recordingLogger } from '../../../test-support/logs.js'
import { closedPort } from '../../../test-support/ports.js'
import { listen } from '../../../test-support/servers.js'
import { createSidecarClient } from '../src/sidecar-client.js'
import { createSidecarState } from '../src/sidecar-state.js'

type Answer = { status: number; body: string }

/** A sidecar answering each path (query included) as `answers` says, 404 elsewhere. */
async function sidecarAnswering(answers: Record<string, Answer>) {
  const { port } = await listen((req, res) => {
    const answer = answers[req.url ?? '/'] ?? { status: 404, body: '{"error":{}}' }
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body)
  })
  const { logger, lines } = recordingLogger()
  const client = createSidecarClient(`http://127.0.0.1:${port}`, undefined)
  return { state: createSidecarState(client, logger), lines }
}

const status = (body: unknown, code = 200): Record<string, Answer> => ({
  '/status': { status: code, body: JSON.stringify(body) },
})
const fresh = { ready: true, version: 'v3', stale: false, fromSnapshot: false, lastError: null }
const notSaid = { version: null, stale: null, reason: null, demoKey: null, demoKeyIds: [] }

describe('the status from /status', () => {
  it('is ready, fresh, with its version, and no demo key said', async () => {
    const { state } = await sidecarAnswering(status(fresh))
    expect(await state.status()).toEqual({
      reach: 'ready',
      version: 'v3',
      stale: false,
      reason: null,
      demoKey: null,
      demoKeyIds: [],
    })
  })

  it('is not ready, with no version when the version is not a string', async () => {
    const { state } = await sidecarAnswering(status({ ...fresh, ready: false, version: 7 }))
    expect(await state.status()).toMatchObject({ reach: 'not-ready', version: null })
  })

  it('gives the reason of a stale config: code, key path and message, as far as the sidecar says', async () => {
    const cases: [unknown, boolean, string][] = [
      [
        { code: 'ERR_KEY', path: 'db.password', message: 'no key' },
        false,
        'ERR_KEY at db.password: no key',
      ],
      [{ code: 'ERR_KEY' }, false, 'ERR_KEY'],
      [{ path: 'db.password', code: 3, message: 4 }, false, 'error at db.password'],
      [{ message: 'only a message', path: 5 }, false, 'error: only a message'],
      [
        null,
        true,
        'served from the snapshot of an earlier run; the source has not confirmed it yet',
      ],
      [null, false, 'the sidecar gives no reason'],
      ['a string', false, 'the sidecar gives no reason'],
    ]
    for (const [lastError, fromSnapshot, reason] of cases) {
      const { state } = await sidecarAnswering(
        status({ ...fresh, stale: true, lastError, fromSnapshot }),
      )
      expect(await state.status(), JSON.stringify(lastError)).toMatchObject({ stale: true, reason })
    }
  })

  it('cuts a reason longer than 300 characters to 299 and an ellipsis, and keeps one of 300', async () => {
    const long = await sidecarAnswering(
      status({ ...fresh, stale: true, lastError: { code: 'E', message: 'x'.repeat(400) } }),
    )
    const cut = (await long.state.status()).reason ?? ''
    expect(cut).toHaveLength(300)
    expect(cut).toBe(`E: ${'x'.repeat(296)}…`)
    const exact = await sidecarAnswering(
      status({ ...fresh, stale: true, lastError: { code: 'E', message: 'x'.repeat(297) } }),
    )
    expect((await exact.state.status()).reason).toBe(`E: ${'x'.repeat(297)}`)
  })

  it('gives the demo key kids as strings, at most 8, each at most 80 characters', async () => {
    const ids = ['a', 42, 'b'.repeat(80), 'c'.repeat(81), 'd', 'e', 'f', 'g', 'h', 'i']
    const { state } = await sidecarAnswering(status({ ...fresh, demoKey: true, demoKeyIds: ids }))
    expect(await state.status()).toMatchObject({
      demoKey: true,
      demoKeyIds: ['a', 'b'.repeat(80), `${'c'.repeat(79)}…`, 'd', 'e', 'f', 'g', 'h'],
    })
  })

  it('says no demo key when the sidecar says false, and nothing when it says something else', async () => {
    const no = await sidecarAnswering(status({ ...fresh, demoKey: false, demoKeyIds: ['x'] }))
    expect(await no.state.status()).toMatchObject({ demoKey: false, demoKeyIds: ['x'] })
    const odd = await sidecarAnswering(status({ ...fresh, demoKey: 'yes', demoKeyIds: ['x'] }))
    expect(await odd.state.status()).toMatchObject({ demoKey: null, demoKeyIds: [] })
    const noList = await sidecarAnswering(status({ ...fresh, demoKey: true, demoKeyIds: 'x' }))
    expect(await noList.state.status()).toMatchObject({ demoKey: true, demoKeyIds: [] })
  })
})

describe('a /status the app cannot read', () => {
  it('falls back to readiness alone for a body that is no object, has no boolean ready, or is not a 200', async () => {
    for (const answer of [
      { status: 200, body: 'not json' },
      { status: 200, body: 'null' },
      { status: 200, body: '"ready"' },
      { status: 200, body: '{"ready":"yes","version":"v3","stale":false}' },
      { status: 500, body: JSON.stringify(fresh) },
    ]) {
      const { state } = await sidecarAnswering({
        '/status': answer,
        '/readyz': { status: 200, body: '{}' },
      })
      expect(await state.status(), answer.body).toEqual({ reach: 'ready', ...notSaid })
    }
  })

  it('is not ready when /readyz says 503', async () => {
    const { state } = await sidecarAnswering({ '/readyz': { status: 503, body: '{}' } })
    expect(await state.status()).toEqual({ reach: 'not-ready', ...notSaid })
    expect(await state.ready()).toBe(false)
  })
})

describe('a sidecar without /readyz', () => {
  it('is ready while /config/ answers 200 with a body, and says so in one log line', async () => {
    const { state, lines } = await sidecarAnswering({
      '/config/?redact': { status: 200, body: '{"a":1}' },
    })
    expect(await state.ready()).toBe(true)
    expect(await state.status()).toEqual({ reach: 'ready', ...notSaid })
    expect(lines.map((line) => line['msg'])).toEqual([
      'the sidecar has no /readyz: the app counts it ready while its /config/ answers 200',
    ])
    expect(lines[0]?.['level']).toBe('info')
  })

  it('is not ready for an empty 200 or another status', async () => {
    for (const answer of [
      { status: 200, body: '' },
      { status: 503, body: '{"a":1}' },
    ]) {
      const { state } = await sidecarAnswering({ '/config/?redact': answer })
      expect(await state.ready()).toBe(false)
    }
  })
})

describe('a sidecar that does not answer', () => {
  it('is unreachable, claiming nothing else; ready() rejects', async () => {
    const client = createSidecarClient(`http://127.0.0.1:${await closedPort()}`, undefined)
    const state = createSidecarState(client, recordingLogger().logger)
    expect(await state.status()).toEqual({ reach: 'unreachable', ...notSaid })
    await expect(state.ready()).rejects.toThrow()
  })
})
