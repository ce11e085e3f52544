// The one place settings become a source: a file source for a path, an HTTP source that names
// itself in its User-Agent, sends the configured credentials, and keeps to the given time limits
// (the token endpoint's too).
import type { ServerResponse } from 'node:http'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../../../test-support/files.js'
import { json, startUpstream } from '../../../../test-support/upstream.js'
import type { FakeUpstream } from '../../../../test-support/upstream.js'
import { errorOf } from '../../../../test-support/sidecar-errors.js'
import { loadSettings } from '../../src/settings/settings.js'
import { createSource } from '../../src/sources/create-source.js'
import { VERSION } from '../../src/support/version.js'

const FAST = { connectMs: 300, responseMs: 300, totalMs: 300 }

let dir: { path: string; remove: () => Promise<void> }
let upstream: FakeUpstream
let tokens: FakeUpstream
/** Answers that never finish, ended after each test so the servers can close. */
let hanging: ServerResponse[] = []

beforeEach(async () => {
  dir = await tempDir()
  upstream = await startUpstream()
  tokens = await startUpstream()
})
afterEach(async () => {
  for (const res of hanging) res.destroy()
  hanging = []
  await upstream.close()
  await tokens.close()
  await dir.remove()
})

const settingsOf = (env: Record<string, string>) =>
  loadSettings(env, { tmpDir: dir.path, cwd: dir.path }).settings

const hang = (_req: unknown, res: ServerResponse): void => {
  hanging.push(res)
}

describe('createSource', () => {
  it('makes a file source for a file path', async () => {
    const file = join(dir.path, 'app.json')
    await writeFile(file, '{"a":1}')
    const source = createSource(settingsOf({ CONFIG_SOURCE: `file:${file}` }))
    expect(source.kind).toBe('file')
    expect(source.display).toBe(`file:${file}`)
    const result = await source.fetch(undefined, AbortSignal.timeout(3000))
    expect(result.kind).toBe('changed')
  })

  it('makes an HTTP source that sends config-sidecar/<version> as its User-Agent and no credentials', async () => {
    upstream.handle(json({ a: 1 }))
    const source = createSource(settingsOf({ CONFIG_SOURCE: `${upstream.url}/orders/cloud` }))
    expect(source.kind).toBe('http')
    const result = await source.fetch(undefined, AbortSignal.timeout(3000))
    expect(result.kind).toBe('changed')
    expect(upstream.requests[0]!.headers['user-agent']).toBe(`config-sidecar/${VERSION}`)
    expect(upstream.requests[0]!.headers.authorization).toBeUndefined()
  })

  it('sends a configured bearer token', async () => {
    upstream.handle(json({ a: 1 }))
    const source = createSource(
      settingsOf({ CONFIG_SOURCE: `${upstream.url}/orders/cloud`, CONFIG_BEARER_TOKEN: 'tok-1' }),
    )
    await source.fetch(undefined, AbortSignal.timeout(3000))
    expect(upstream.requests[0]!.headers.authorization).toBe('Bearer tok-1')
  })

  it('fetches an OAuth2 token with the default time limits when none are given', async () => {
    tokens.handle(json({ access_token: 'cc-token', token_type: 'Bearer', expires_in: 300 }))
    upstream.handle(json({ a: 1 }))
    const source = createSource(
      settingsOf({
        CONFIG_SOURCE: `${upstream.url}/orders/cloud`,
        CONFIG_CLIENT_ID: 'orders',
        CONFIG_CLIENT_SECRET: 'secret',
        CONFIG_TOKEN_URL: `${tokens.url}/oauth/token`,
      }),
    )
    const result = await source.fetch(undefined, AbortSignal.timeout(3000))
    expect(result.kind).toBe('changed')
    expect(upstream.requests[0]!.headers.authorization).toBe('Bearer cc-token')
  })

  it('holds the upstream to the given time limits', async () => {
    upstream.handle(hang)
    const source = createSource(settingsOf({ CONFIG_SOURCE: `${upstream.url}/orders/cloud` }), {
      httpTimeouts: FAST,
    })
    // Past the given limits, well inside the defaults (10 s for the response).
    const started = Date.now()
    const error = await errorOf(source.fetch(undefined, AbortSignal.timeout(3000)))
    expect(error.code).toBe('ERR_UPSTREAM_TIMEOUT')
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('holds the token endpoint to the given whole-exchange limit', async () => {
    tokens.handle(hang)
    const source = createSource(
      settingsOf({
        CONFIG_SOURCE: `${upstream.url}/orders/cloud`,
        CONFIG_CLIENT_ID: 'orders',
        CONFIG_CLIENT_SECRET: 'secret',
        CONFIG_TOKEN_URL: `${tokens.url}/oauth/token`,
      }),
      { httpTimeouts: FAST },
    )
    const error = await errorOf(source.fetch(undefined, AbortSignal.timeout(3000)))
    expect(error.code).toBe('ERR_UPSTREAM_TIMEOUT')
    expect(error.message).toBe(
      `token endpoint ${tokens.url}/oauth/token did not answer in time (request)`,
    )
    expect(upstream.requests).toEqual([])
  })
})
