// `GET /config/?format=`: the renderers of Config as files on the config route, combined with
// `?redact`, with an ETag and 304 per view, long polls, and 400/502 answers for what cannot be served.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from 'yaml'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../../../test-support/files.js'
import { startInProcessSidecar } from '../../../../test-support/in-process-sidecar.js'
import type { InProcessSidecar } from '../../../../test-support/in-process-sidecar.js'

const root = join(import.meta.dirname, '..', '..', '..', '..')
const SAMPLE = join(root, 'samples', 'config', 'application.yaml')
const DEMO_KEYS = join(root, 'samples', 'demo-only.private.jwks.json')

let dir: { path: string; remove: () => Promise<void> }
let sidecar: InProcessSidecar | undefined
let source: string

beforeEach(async () => {
  dir = await tempDir()
  source = join(dir.path, 'c.json')
  await writeFile(
    source,
    JSON.stringify({ app: { name: 'demo', darkMode: true }, list: [1, 'two'] }),
  )
})
afterEach(async () => {
  await sidecar?.stop()
  sidecar = undefined
  await dir.remove()
})

async function started(env: Record<string, string> = {}): Promise<InProcessSidecar> {
  sidecar = await startInProcessSidecar({ CONFIG_SOURCE: `file:${source}`, ...env })
  await sidecar.firstRefresh
  return sidecar
}

describe('GET /config/?format=', () => {
  it('serves each format with its media type and its own strong ETag', async () => {
    const running = await started()
    const answers = {
      json: 'application/json; charset=utf-8',
      flat: 'application/json; charset=utf-8',
      properties: 'text/plain; charset=utf-8',
      env: 'text/plain; charset=utf-8',
      yaml: 'application/yaml; charset=utf-8',
    }
    const bodies: Record<string, string> = {}
    const etags = new Set<string>()
    for (const [format, type] of Object.entries(answers)) {
      const response = await running.get(`/config/?format=${format}`)
      expect(response.status, format).toBe(200)
      expect(response.headers.get('content-type')).toBe(type)
      expect(response.headers.get('x-config-stale')).toBe('false')
      expect(response.headers.get('cache-control')).toBe('no-store')
      etags.add(response.headers.get('etag')!)
      bodies[format] = await response.text()
    }
    expect(bodies['json']).toBe(await (await running.get('/config/')).text())
    expect(JSON.parse(bodies['flat']!)).toEqual({
      'app.name': 'demo',
      'app.darkMode': true,
      'list[0]': 1,
      'list[1]': 'two',
    })
    expect(bodies['properties']).toBe('app.name=demo\napp.darkMode=true\nlist[0]=1\nlist[1]=two\n')
    expect(bodies['env']).toBe("APP_NAME='demo'\nAPP_DARK_MODE='true'\nLIST_0='1'\nLIST_1='two'\n")
    expect(parse(bodies['yaml']!)).toEqual({
      app: { name: 'demo', darkMode: true },
      list: [1, 'two'],
    })
    // json and the default are one view; every other view has an ETag of its own.
    expect(etags.size).toBe(5)
  })

  it('answers 304 per view while unchanged, and 200 with a new ETag once the config changes', async () => {
    const running = await started()
    const first = await running.get('/config/?format=properties')
    const etag = first.headers.get('etag')!
    const again = await running.get('/config/?format=properties', {
      headers: { 'if-none-match': etag },
    })
    expect(again.status).toBe(304)
    expect(again.headers.get('etag')).toBe(etag)
    // Another view's ETag does not match this one.
    const other = (await running.get('/config/?format=env')).headers.get('etag')!
    expect(
      (await running.get('/config/?format=properties', { headers: { 'if-none-match': other } }))
        .status,
    ).toBe(200)

    const poll = running.get('/config/?format=properties&wait=20', {
      headers: { 'if-none-match': etag },
    })
    await new Promise((resolve) => setTimeout(resolve, 100))
    await writeFile(source, JSON.stringify({ app: { name: 'changed' } }))
    const changed = await poll
    expect(changed.status).toBe(200)
    expect(changed.headers.get('etag')).not.toBe(etag)
    expect(changed.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(await changed.text()).toBe('app.name=changed\n')
  })

  it('combines with ?redact: decrypted values are "[redacted]" in every format', async () => {
    sidecar = await startInProcessSidecar({
      CONFIG_SOURCE: `file:${SAMPLE}`,
      CONFIG_KEYS: `file:${DEMO_KEYS}`,
    })
    await sidecar.firstRefresh
    const full = (await (await sidecar.get('/config/')).json()) as {
      database: { password: string }
    }
    const password = full.database.password
    expect(password).not.toMatch(/^\{jwe\}/)
    for (const format of ['flat', 'properties', 'env', 'yaml']) {
      const plain = await (await sidecar.get(`/config/?format=${format}`)).text()
      const redacted = await sidecar.get(`/config/?format=${format}&redact`)
      const text = await redacted.text()
      expect(plain, format).toContain(password)
      expect(text, format).not.toContain(password)
      expect(text, format).toContain('[redacted]')
      expect(redacted.headers.get('etag')).not.toBe(
        (await sidecar.get(`/config/?format=${format}`)).headers.get('etag'),
      )
    }
  })

  it('answers 400 ERR_BAD_REQUEST to an unknown format, a format with a sub-path, and a stream', async () => {
    const running = await started()
    for (const query of ['/config/?format=xml', '/config/?format=', '/config/app?format=env']) {
      const response = await running.get(query)
      expect(response.status, query).toBe(400)
      expect(await response.json()).toMatchObject({ error: { code: 'ERR_BAD_REQUEST' } })
    }
    const stream = await running.get('/config/?format=yaml', {
      headers: { accept: 'text/event-stream' },
    })
    expect(stream.status).toBe(400)
    // format=json is the default view, with or without a path.
    expect(await (await running.get('/config/app/name?format=json')).text()).toBe('"demo"')
  })

  it('answers 502 naming both paths when a format cannot hold the config, and serves the rest', async () => {
    await writeFile(source, JSON.stringify({ a: { b: 'one' }, a_b: 'two-secret' }))
    const running = await started()
    const response = await running.get('/config/?format=env')
    expect(response.status).toBe(502)
    const body = await response.text()
    expect(JSON.parse(body)).toEqual({
      error: { code: 'ERR_DOCUMENT_INVALID', message: 'the keys a.b and a_b are both A_B in .env' },
    })
    expect(body).not.toContain('two-secret')
    expect((await running.get('/config/?format=properties')).status).toBe(200)
    expect((await running.get('/config/')).status).toBe(200)
  })
})
