// Edges of reading config files and of answering polls: a directory where a file is expected, a
// file name the file system refuses, the 4 MiB limit, a broken file asked for twice (refused the
// same way from the cache), a watcher that is stopped; If-None-Match read as RFC 9110 reads it; and
// the request log's memory of the last version served, bounded at 1000 environments.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Response as ExpressResponse } from 'express'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir, writeFiles } from '../../../test-support/files.js'
import { startInProcessDevConfigServer } from '../../../test-support/in-process-dev-config-server.js'
import type { InProcessDevConfigServer } from '../../../test-support/in-process-dev-config-server.js'
import { sleep } from '../../../test-support/wait.js'
import { ifNoneMatchHits } from '../src/conditional.js'
import { MAX_FILE_BYTES } from '../src/file-cache.js'
import { silentLogger } from '../src/server.js'
import { createRequestLog } from '../src/request-log.js'

describe('config files at the edges', () => {
  let dir: { path: string; remove: () => Promise<void> }
  let server: InProcessDevConfigServer | undefined

  beforeEach(async () => {
    dir = await tempDir('dev-config-server-edges-')
    await writeFiles(dir.path, { 'app.yml': 'a: 1\n' })
  })
  afterEach(async () => {
    await server?.stop()
    server = undefined
    await dir.remove()
  })

  const namesOf = async (response: Response): Promise<string[]> =>
    ((await response.json()) as { propertySources: { name: string }[] }).propertySources.map(
      (source) => source.name,
    )

  it('skips a directory named like a config file', async () => {
    await mkdir(join(dir.path, 'application.yml'))
    server = await startInProcessDevConfigServer({ dir: dir.path })
    const response = await server.get('/app/default')
    expect(response.status).toBe(200)
    expect(await namesOf(response)).toEqual(['file:app.yml'])
  })

  it('answers 500 unreadable_config for a file name the file system refuses', async () => {
    server = await startInProcessDevConfigServer({ dir: dir.path })
    // Each name may have 128 characters; together they make a file name over 255 bytes.
    const response = await server.get(`/${'a'.repeat(128)}/${'p'.repeat(128)}`)
    expect(response.status).toBe(500)
    expect(await response.json()).toMatchObject({
      error: 'unreadable_config',
      message: expect.stringContaining('cannot be read (ENAMETOOLONG)') as unknown,
    })
  })

  it('refuses a file over 4 MiB, and serves one of exactly 4 MiB', async () => {
    const line = `# ${'x'.repeat(1021)}\n`
    const exact = line.repeat(MAX_FILE_BYTES / 1024)
    expect(Buffer.byteLength(exact)).toBe(MAX_FILE_BYTES)
    await writeFile(join(dir.path, 'application.yml'), exact)
    server = await startInProcessDevConfigServer({ dir: dir.path })
    expect((await server.get('/app/default')).status).toBe(200)
    await writeFile(join(dir.path, 'application.yml'), `${exact}#`)
    const response = await server.get('/app/default')
    expect(response.status).toBe(500)
    expect(await response.json()).toEqual({
      error: 'invalid_config',
      message: `application.yml is larger than ${MAX_FILE_BYTES} bytes`,
    })
  })

  it('refuses a broken file the same way the second time (from the cache)', async () => {
    await writeFile(join(dir.path, 'application.yml'), 'a: [unclosed\n')
    server = await startInProcessDevConfigServer({ dir: dir.path })
    const first = await server.get('/app/default')
    const second = await server.get('/app/default')
    expect([first.status, second.status]).toEqual([500, 500])
    const [one, two] = [await first.json(), await second.json()]
    expect(one).toMatchObject({ error: 'invalid_config' })
    expect(two).toEqual(one)
  })

  it('watches no more once stopped', async () => {
    server = await startInProcessDevConfigServer({ dir: dir.path })
    await server.stop()
    const stopped = server
    server = undefined
    await writeFile(join(dir.path, 'late.yml'), 'a: 1\n')
    await sleep(400)
    expect(stopped.log()).not.toContain('config files changed')
  })
})

describe('ifNoneMatchHits', () => {
  it('matches *, also with spaces around it', () => {
    expect(ifNoneMatchHits('*', '"v1"')).toBe(true)
    expect(ifNoneMatchHits(' * ', '"v1"')).toBe(true)
  })

  it('compares weakly, taking W/ only as a prefix', () => {
    expect(ifNoneMatchHits('W/"v1"', '"v1"')).toBe(true)
    expect(ifNoneMatchHits('"v0", W/"v1"', '"v1"')).toBe(true)
    expect(ifNoneMatchHits('"W/v1"', '"v1"')).toBe(false)
    expect(ifNoneMatchHits(undefined, '"v1"')).toBe(false)
  })
})

describe('the request log’s memory of versions served', () => {
  const newsOf = (
    log: ReturnType<typeof createRequestLog>,
    environment: string,
    version = 'v1',
  ): unknown => {
    const res = { req: { headers: {} }, locals: {} as Record<string, unknown> }
    log.note(res as unknown as ExpressResponse, environment, version, false)
    return res.locals['answerNews']
  }

  it('remembers the last 1000 environments, forgetting the least recently served first', () => {
    const log = createRequestLog(silentLogger)
    for (let index = 0; index < 1000; index += 1) newsOf(log, `app${index}/default/`)
    // All 1000 are remembered: serving the oldest again is no news.
    expect(newsOf(log, 'app0/default/')).toBe('unchanged')
    // A 1001st pushes out the least recently served one (app1; app0 was just served).
    expect(newsOf(log, 'app1000/default/')).toBe('news')
    expect(newsOf(log, 'app0/default/')).toBe('unchanged')
    expect(newsOf(log, 'app1/default/')).toBe('news')
    expect(newsOf(log, 'app1/default/', 'v2')).toBe('news')
  })
})
