// Refused local callers are logged: one line per kind of refusal (no token, wrong token, proxied
// request, foreign Host, too many connections, method not allowed), the first at once and then at
// most one a window with the count of those not logged one by one. Never the token, never the
// Authorization header, and a foreign Host only in a short, sanitised form.
import { writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../../../test-support/files.js'
import { rawRequest } from '../../../../test-support/http.js'
import { startInProcessSidecar } from '../../../../test-support/in-process-sidecar.js'
import type { InProcessSidecar } from '../../../../test-support/in-process-sidecar.js'
import { sleep, waitFor } from '../../../../test-support/wait.js'
import { createLogger } from '../../src/support/logger.js'
import { createRefusalLog } from '../../src/http/guards.js'

type Line = Record<string, unknown>
const parse = (lines: readonly string[]): Line[] => lines.map((line) => JSON.parse(line) as Line)
const refusalLines = (lines: readonly string[]): Line[] =>
  parse(lines).filter((line) => typeof line['kind'] === 'string' && 'suppressed' in line)

describe('the refusal log', () => {
  it('logs the first refusal of a kind at once, then one line a window with the count', async () => {
    const lines: string[] = []
    const log = createRefusalLog(createLogger({ write: (line) => lines.push(line) }), 200)
    for (let i = 0; i < 50; i += 1) log.record('wrong-token')
    log.record('forwarded')
    expect(refusalLines(lines)).toMatchObject([
      { level: 'warn', kind: 'wrong-token', status: 401, code: 'ERR_UNAUTHORIZED', count: 1 },
      { kind: 'forwarded', status: 400, code: 'ERR_FORWARDED_REQUEST', count: 1 },
    ])
    await waitFor(() => (refusalLines(lines).length === 3 ? true : undefined))
    expect(refusalLines(lines)[2]).toMatchObject({
      kind: 'wrong-token',
      count: 49,
      suppressed: 49,
    })
    // A quiet window ends the series: the next refusal is logged at once again.
    await sleep(500)
    expect(refusalLines(lines)).toHaveLength(3)
    log.record('wrong-token')
    expect(refusalLines(lines)[3]).toMatchObject({ kind: 'wrong-token', count: 1, suppressed: 0 })
    // Closing logs what is pending, then nothing more.
    log.record('wrong-token')
    log.record('wrong-token')
    log.close()
    expect(refusalLines(lines)[4]).toMatchObject({ kind: 'wrong-token', count: 2, suppressed: 2 })
    log.record('wrong-token')
    await sleep(300)
    expect(refusalLines(lines)).toHaveLength(5)
  })

  it('keeps a foreign Host short and sanitised', () => {
    const lines: string[] = []
    const log = createRefusalLog(createLogger({ write: (line) => lines.push(line) }))
    log.record('foreign-host', { host: `evil"<script>${'a'.repeat(500)}.example` })
    log.close()
    const host = String(refusalLines(lines)[0]?.['host'])
    expect(host.length).toBeLessThanOrEqual(65)
    expect(host).toMatch(/^[A-Za-z0-9.:[\]_?…-]+$/)
    expect(host).not.toContain('<')
  })
})

describe('a sidecar refusing local callers', () => {
  let dir: { path: string; remove: () => Promise<void> }
  let sidecar: InProcessSidecar
  const WRONG = 'wrong-token-marker-0123456789abcdef'

  beforeAll(async () => {
    dir = await tempDir()
    const file = join(dir.path, 'config.json')
    await writeFile(file, JSON.stringify({ greeting: 'hello' }))
    sidecar = await startInProcessSidecar({ CONFIG_SOURCE: `file:${file}` }, { maxConnections: 16 })
    await sidecar.firstRefresh
  })
  afterAll(async () => {
    await sidecar.stop()
    await dir.remove()
  })

  it('logs one line per kind for many refusals, each with its kind and count, and no token', async () => {
    const token = sidecar.token!
    const rounds = 25
    const statuses: number[] = []
    for (let i = 0; i < rounds; i += 1) {
      const answers = await Promise.all([
        rawRequest(`${sidecar.url}/config/`),
        rawRequest(`${sidecar.url}/status`, { headers: { authorization: `Bearer ${WRONG}` } }),
        rawRequest(`${sidecar.url}/config/`, { headers: { authorization: `Basic ${token}` } }),
        rawRequest(`${sidecar.url}/livez`, { headers: { 'x-forwarded-for': '203.0.113.9' } }),
        rawRequest(`${sidecar.url}/config/`, {
          headers: { host: 'rebind.attacker.example:8082', authorization: `Bearer ${token}` },
        }),
      ])
      statuses.push(...answers.map((answer) => answer.status))
      const methods = [
        await sidecar.get('/config/', { method: 'DELETE' }),
        await sidecar.get('/refresh'),
        await sidecar.get('/livez', { method: 'POST' }),
      ]
      statuses.push(...methods.map((answer) => answer.status))
    }
    // Past the connection cap (16): idle sockets, then a few more requests.
    const sockets: Socket[] = []
    try {
      for (let i = 0; i < 20; i += 1) {
        const socket = connect(sidecar.port, '127.0.0.1')
        await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
        sockets.push(socket)
      }
      for (let i = 0; i < 10; i += 1) {
        statuses.push(
          (
            await rawRequest(`${sidecar.url}/config/`, {
              headers: { authorization: `Bearer ${token}` },
            })
          ).status,
        )
      }
    } finally {
      for (const socket of sockets) socket.destroy()
    }
    expect(new Set(statuses)).toEqual(new Set([401, 400, 403, 405, 429]))

    const lines = refusalLines(sidecar.logs)
    const kinds = lines.map((line) => line['kind'])
    expect(kinds.sort()).toEqual([
      'foreign-host',
      'forwarded',
      'method-not-allowed',
      'no-token',
      'too-many-connections',
      'wrong-token',
    ])
    for (const line of lines) {
      expect(line).toMatchObject({ level: 'warn', count: 1, suppressed: 0 })
      expect(typeof line['status']).toBe('number')
      expect(String(line['code'])).toMatch(/^ERR_/)
    }
    expect(lines.find((line) => line['kind'] === 'foreign-host')?.['host']).toBe(
      'rebind.attacker.example:8082',
    )
    const all = sidecar.logs.join('')
    expect(all).not.toContain(token)
    expect(all).not.toContain(WRONG)
    expect(all.toLowerCase()).not.toContain('bearer ')
    expect(all.toLowerCase()).not.toContain('basic ')
    expect(all.toLowerCase()).not.toContain('authorization')
  })
})
